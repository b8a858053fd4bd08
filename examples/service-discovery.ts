/**
 * Service discovery: every service joins the cluster with tags saying what it is and where its
 * HTTP endpoint lives; a small HTTP handler answers "which healthy peers have role=api?".
 * Healthy means `alive`: a suspect member may be dead, so it is left out until it refutes.
 *
 *   npx tsx examples/service-discovery.ts
 *
 * This file runs a gateway and three services in one process so it can show the whole round
 * trip and exit; in production each service is its own process running `Hearsay.start` with its
 * own tags, and any of them can serve `/peers`.
 */
import { createServer, type Server } from 'node:http';
import { Hearsay } from 'hearsay';

/** A peer as `/peers` lists it. */
export interface Peer {
  readonly name: string;
  /** The service's own endpoint (its `http` tag), else its gossip address. */
  readonly endpoint: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Alive members carrying every tag in `want`, sorted by name. */
export function healthyPeers(node: Hearsay, want: Readonly<Record<string, string>>): Peer[] {
  return node
    .members()
    .filter((m) => m.state === 'alive' && Object.entries(want).every(([k, v]) => m.tags?.[k] === v))
    .map((m) => ({ name: m.name, endpoint: m.tags?.http ?? m.address, tags: m.tags ?? {} }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

/** `GET /peers?role=api&zone=a` → JSON list of healthy peers with those tags. */
export function discoveryServer(node: Hearsay): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== '/peers') {
      res.writeHead(404).end();
      return;
    }
    const want = Object.fromEntries(url.searchParams);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(healthyPeers(node, want)));
  });
}

async function main(): Promise<void> {
  const gateway = await Hearsay.start({ name: 'gateway', bind: '127.0.0.1:0', metadata: { role: 'gateway' } });
  const http = discoveryServer(gateway);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  const services: Hearsay[] = [];
  try {
    const specs = [
      ['api-1', 'api', '10.0.0.1:8080'],
      ['api-2', 'api', '10.0.0.2:8080'],
      ['worker-1', 'worker', '10.0.0.3:9000'],
    ] as const;
    const joined = new Promise<void>((resolve) => gateway.on('join', () => gateway.size === 4 && resolve()));
    for (const [name, role, endpoint] of specs) {
      const s = await Hearsay.start({ name, bind: '127.0.0.1:0', metadata: { role, http: endpoint } });
      services.push(s);
      await s.join(gateway.localMember.address);
    }
    await joined;

    const ask = async (query: string): Promise<Peer[]> => (await (await fetch(`http://127.0.0.1:${port}/peers?${query}`)).json()) as Peer[];
    console.log(`GET /peers?role=api -> ${JSON.stringify((await ask('role=api')).map((p) => [p.name, p.endpoint]))}`);

    // api-2 shuts down gracefully: the gateway hears the leave and stops listing it.
    const gone = new Promise<void>((resolve) => gateway.on('leave', ({ member }) => member.name === 'api-2' && resolve()));
    await services[1]!.leave();
    await gone;
    console.log(`after api-2 left: GET /peers?role=api -> ${JSON.stringify((await ask('role=api')).map((p) => [p.name, p.endpoint]))}`);
  } finally {
    http.close();
    await Promise.all([...services, gateway].map((n) => n.shutdown()));
  }
}

await main();
