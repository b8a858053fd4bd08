// Command peer runs ONE real HashiCorp memberlist node (the Debian-packaged
// v0.2.2 source, built in GOPATH mode) for hearsay's interop tests.
//
// It is driven over stdin (one command per line) and reports over stdout (one
// JSON object per line). It exits when stdin closes, on SIGTERM/SIGINT, or on
// the `shutdown` command, so a test runner that dies never leaves it behind.
// `kill -9` is the "abrupt kill" the tests use for a crash.
//
// Build (offline, GOPATH mode; see test/interop/harness.ts ensureGoPeerBuilt):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off \
//	  go build -o test/interop/bin/peer ./test/interop/peer
//
// Flags:
//
//	-name n            node name (required)
//	-bind ip:port      UDP+TCP bind address; port 0 = let memberlist pick a free
//	                   port (v0.2.2 retries the TCP+UDP pair itself)
//	-seeds a:p,b:p     join these after start (result reported as "joined")
//	-key b64           AES key, repeatable or comma-separated; the first is primary
//	-compression bool  Config.EnableCompression (default true)
//	-preset lan|wan|local
//	-meta hex          initial NodeMeta bytes
//	-delegate-versions min,max,cur
//	-protocol n        Config.ProtocolVersion
//	-probe-interval-ms, -probe-timeout-ms, -gossip-interval-ms,
//	-suspicion-mult, -pushpull-interval-ms, -tcp-timeout-ms, -gossip-to-dead-ms
//	-verbose           also report DEBUG/INFO log lines as "log" events
//	-udp-filter        wrap NetTransport so `udp deaf` can drop all inbound UDP
//	-state-hooks, -user-state hex, -ping-delegate, -ack-payload hex
//	                   delegate hooks reported as events (hooks.go)
//	-bench             benchmark mode (bench/vs-memberlist.ts): every event gets a
//	                   "ts" (unix ms, float), a "suspect" event is emitted when this
//	                   node's own probe marks a member suspect (memberlist v0.2.2 has
//	                   no suspect callback; this reads its "Suspect X has failed" log
//	                   line), and the transport counts what it sends (UDP datagrams
//	                   and TCP stream bytes), reported by `stats`
//
// Commands (stdin):
//
//	join a:p,b:p | members | meta <hex> | leave [timeoutMs] | shutdown |
//	keyring use|add|remove <b64> | keyring list | user <hex> | sendto <ip:port> <hex> |
//	udp deaf|hear (needs -udp-filter) | stats | ping | state <hex> (hooks.go)
//
// Events (stdout), one JSON object per line:
//
//	{"event":"ready","name":…,"addr":"127.0.0.1:port"}
//	{"event":"join"|"leave"|"update","node":{name,addr,port,meta,state,incarnation,vsn}}
//	   state: 0 alive, 1 suspect, 2 dead, 3 left (NotifyLeave fires for both 2 and 3);
//	   read from memberlist's internal nodeState (see nodeStateMirror), because
//	   v0.2.2 leaves Node.State at 0 forever
//	{"event":"members","members":[node…]}
//	{"event":"joined","contacted":n} / {"event":"error","cmd":…,"error":…}
//	{"event":"meta-updated"} {"event":"left"} {"event":"shutdown"}
//	{"event":"keyring","op":…,"keys":[b64…],"primary":b64}
//	{"event":"message","data":hex}  (a user message from NotifyMsg)
//	{"event":"log","level":"ERR"|"WARN"|…,"line":…}
//	{"event":"stats","decryptFailures":n,"logErrors":n,"udpDropped":n,…}
//	   with -bench also udpPacketsSent, udpBytesSent, tcpBytesSent, tcpDials
//	{"event":"suspect","name":…}  (-bench only; this node's probe suspected name)
//	{"event":"udp","deaf":bool}
//	{"event":"pong"} {"event":"user-queued"} {"event":"sent","to":…}
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/hashicorp/memberlist"
)

// ---------------------------------------------------------------- output

var outMu sync.Mutex
var stdout = bufio.NewWriter(os.Stdout)

// benchMode (-bench) stamps every event with "ts", unix time in ms.
var benchMode bool

func emit(v map[string]interface{}) {
	if benchMode {
		v["ts"] = float64(time.Now().UnixNano()) / 1e6
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"event":"error","error":%q}`, err.Error()))
	}
	outMu.Lock()
	stdout.Write(b)
	stdout.WriteByte('\n')
	stdout.Flush()
	outMu.Unlock()
}

func emitErr(cmd string, err error) {
	emit(map[string]interface{}{"event": "error", "cmd": cmd, "error": err.Error()})
}

// nodeStateMirror has the memory layout of memberlist v0.2.2's unexported
// nodeState, whose first field is the embedded Node:
//
//	type nodeState struct {
//		Node
//		Incarnation uint32
//		State       NodeStateType
//		StateChange time.Time
//	}
//
// v0.2.2 never writes Node.State (it stays 0 = alive); the real state lives in
// nodeState.State. Every *Node memberlist hands to the event delegate and
// returns from Members() is &nodeState.Node, so the enclosing nodeState can be
// read through this mirror. Without it a NotifyLeave cannot tell a graceful
// leave (3) from a failure (2). Event delegates run with the node lock held,
// so the read is consistent there.
type nodeStateMirror struct {
	memberlist.Node
	Incarnation uint32
	State       memberlist.NodeStateType
	StateChange time.Time
}

func stateOf(n *memberlist.Node) (state int, incarnation uint32) {
	if n.State != memberlist.StateAlive {
		// A memberlist that maintains Node.State itself: trust it.
		return int(n.State), 0
	}
	ns := (*nodeStateMirror)(unsafe.Pointer(n))
	if ns.State > memberlist.StateLeft {
		return -1, ns.Incarnation // layout does not match: report "unknown"
	}
	return int(ns.State), ns.Incarnation
}

func nodeJSON(n *memberlist.Node) map[string]interface{} {
	state, inc := stateOf(n)
	return map[string]interface{}{
		"name":        n.Name,
		"addr":        n.Addr.String(),
		"port":        n.Port,
		"meta":        hex.EncodeToString(n.Meta),
		"state":       state,
		"incarnation": inc,
		"vsn":         []int{int(n.PMin), int(n.PMax), int(n.PCur), int(n.DMin), int(n.DMax), int(n.DCur)},
	}
}

// ---------------------------------------------------------------- delegates

type events struct{}

func (events) NotifyJoin(n *memberlist.Node) {
	emit(map[string]interface{}{"event": "join", "node": nodeJSON(n)})
}
func (events) NotifyLeave(n *memberlist.Node) {
	emit(map[string]interface{}{"event": "leave", "node": nodeJSON(n)})
}
func (events) NotifyUpdate(n *memberlist.Node) {
	emit(map[string]interface{}{"event": "update", "node": nodeJSON(n)})
}

type userBroadcast []byte

func (b userBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b userBroadcast) Message() []byte                       { return []byte(b) }
func (b userBroadcast) Finished()                             {}

type delegate struct {
	mu    sync.Mutex
	meta  []byte
	queue *memberlist.TransmitLimitedQueue
}

func (d *delegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit {
		return d.meta[:limit]
	}
	return append([]byte(nil), d.meta...)
}
func (d *delegate) setMeta(b []byte) {
	d.mu.Lock()
	d.meta = append([]byte(nil), b...)
	d.mu.Unlock()
}
func (d *delegate) NotifyMsg(b []byte) {
	emit(map[string]interface{}{"event": "message", "data": hex.EncodeToString(b)})
}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.queue.GetBroadcasts(overhead, limit)
}
func (d *delegate) LocalState(join bool) []byte            { return hookLocalState(join) }
func (d *delegate) MergeRemoteState(buf []byte, join bool) { hookMergeRemoteState(buf, join) }

// logSink receives memberlist's log output (one Write per log line), counts
// decryption failures and reports ERR/WARN lines (all lines with -verbose).
type logSink struct {
	verbose         bool
	decryptFailures int64
	errors          int64
}

func (l *logSink) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		s := string(line)
		if strings.Contains(strings.ToLower(s), "decrypt") {
			atomic.AddInt64(&l.decryptFailures, 1)
		}
		level := ""
		if i := strings.Index(s, "["); i >= 0 {
			if j := strings.Index(s[i:], "]"); j > 0 {
				level = s[i+1 : i+j]
			}
		}
		if level == "ERR" {
			atomic.AddInt64(&l.errors, 1)
		}
		if benchMode {
			// state.go probeNode: "[INFO] memberlist: Suspect %s has failed, no acks received"
			const pre, post = "memberlist: Suspect ", " has failed, no acks received"
			if i := strings.Index(s, pre); i >= 0 && strings.HasSuffix(s, post) {
				emit(map[string]interface{}{"event": "suspect", "name": s[i+len(pre) : len(s)-len(post)]})
			}
		}
		if l.verbose || level == "ERR" || level == "WARN" {
			emit(map[string]interface{}{"event": "log", "level": level, "line": s})
		}
	}
	return len(p), nil
}

// filterTransport is memberlist's own NetTransport with a switch that makes the
// node "UDP-deaf": while deaf, every inbound datagram is discarded before
// memberlist sees it, but TCP (push/pull, TCP fallback pings) and outbound UDP
// keep working. memberlist then keeps such a node alive through its TCP
// fallback ping (protocol >= 3), which is what the fallback interop test checks.
type filterTransport struct {
	*memberlist.NetTransport
	deaf    atomic.Bool
	dropped atomic.Int64
	packets chan *memberlist.Packet
}

func newFilterTransport(nt *memberlist.NetTransport) *filterTransport {
	t := &filterTransport{NetTransport: nt, packets: make(chan *memberlist.Packet)}
	go func() {
		for p := range nt.PacketCh() {
			if t.deaf.Load() {
				t.dropped.Add(1)
				continue
			}
			t.packets <- p
		}
	}()
	return t
}

func (t *filterTransport) PacketCh() <-chan *memberlist.Packet { return t.packets }

// countingTransport (-bench) wraps a NodeAwareTransport and counts what this
// node sends: UDP datagrams and their bytes (WriteTo*), and bytes written on TCP
// streams, dialled or accepted (push/pull, fallback pings, reliable sends).
type countingTransport struct {
	inner      memberlist.NodeAwareTransport
	streams    chan net.Conn
	udpPackets atomic.Int64
	udpBytes   atomic.Int64
	tcpBytes   atomic.Int64
	tcpDials   atomic.Int64
}

func newCountingTransport(inner memberlist.NodeAwareTransport) *countingTransport {
	t := &countingTransport{inner: inner, streams: make(chan net.Conn)}
	go func() {
		for c := range inner.StreamCh() {
			t.streams <- &countingConn{Conn: c, n: &t.tcpBytes}
		}
	}()
	return t
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

func (t *countingTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return t.inner.FinalAdvertiseAddr(ip, port)
}
func (t *countingTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}
func (t *countingTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	at, err := t.inner.WriteToAddress(b, a)
	if err == nil {
		t.udpPackets.Add(1)
		t.udpBytes.Add(int64(len(b)))
	}
	return at, err
}
func (t *countingTransport) PacketCh() <-chan *memberlist.Packet { return t.inner.PacketCh() }
func (t *countingTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}
func (t *countingTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	t.tcpDials.Add(1)
	c, err := t.inner.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &t.tcpBytes}, nil
}
func (t *countingTransport) StreamCh() <-chan net.Conn { return t.streams }
func (t *countingTransport) Shutdown() error           { return t.inner.Shutdown() }
func (t *countingTransport) IngestPacket(conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error {
	return t.inner.IngestPacket(conn, addr, now, shouldClose)
}
func (t *countingTransport) IngestStream(conn net.Conn) error { return t.inner.IngestStream(conn) }

// ---------------------------------------------------------------- flags

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, p)
	}
	return out
}

func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad base64 key %q: %v", s, err)
	}
	return k, nil
}

func fatal(err error) {
	emit(map[string]interface{}{"event": "error", "cmd": "start", "error": err.Error(), "fatal": true})
	os.Exit(2)
}

func main() {
	var (
		name          = flag.String("name", "", "node name")
		bind          = flag.String("bind", "127.0.0.1:0", "bind ip:port (port 0 = free port)")
		seeds         = flag.String("seeds", "", "comma-separated seeds to join after start")
		compression   = flag.Bool("compression", true, "EnableCompression")
		preset        = flag.String("preset", "local", "lan|wan|local")
		metaHex       = flag.String("meta", "", "initial node meta (hex)")
		dvers         = flag.String("delegate-versions", "0,0,0", "delegate protocol min,max,cur")
		protocol      = flag.Int("protocol", 2, "ProtocolVersion")
		probeInterval = flag.Int("probe-interval-ms", 0, "ProbeInterval override (ms)")
		probeTimeout  = flag.Int("probe-timeout-ms", 0, "ProbeTimeout override (ms)")
		gossipIntvl   = flag.Int("gossip-interval-ms", 0, "GossipInterval override (ms)")
		suspicionMult = flag.Int("suspicion-mult", 0, "SuspicionMult override")
		pushPull      = flag.Int("pushpull-interval-ms", -1, "PushPullInterval override (ms; 0 disables)")
		tcpTimeout    = flag.Int("tcp-timeout-ms", 0, "TCPTimeout override (ms)")
		toTheDead     = flag.Int("gossip-to-dead-ms", 0, "GossipToTheDeadTime override (ms)")
		verbose       = flag.Bool("verbose", false, "report every memberlist log line")
		udpFilter     = flag.Bool("udp-filter", false, "wrap the transport so `udp deaf|hear` can drop inbound UDP")
		bench         = flag.Bool("bench", false, "benchmark mode: event timestamps, suspect events, sent-byte counters")
		keys          listFlag
	)
	flag.Var(&keys, "key", "base64 AES key (repeatable / comma list; first = primary)")
	flag.Parse()
	benchMode = *bench
	if err := initHooks(); err != nil {
		fatal(err)
	}
	if *name == "" {
		fatal(fmt.Errorf("-name is required"))
	}

	var conf *memberlist.Config
	switch *preset {
	case "lan":
		conf = memberlist.DefaultLANConfig()
	case "wan":
		conf = memberlist.DefaultWANConfig()
	case "local":
		conf = memberlist.DefaultLocalConfig()
	default:
		fatal(fmt.Errorf("unknown preset %q", *preset))
	}
	conf.Name = *name
	host, portStr, err := net.SplitHostPort(*bind)
	if err != nil {
		fatal(fmt.Errorf("bad -bind: %v", err))
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		fatal(fmt.Errorf("bad -bind port: %v", err))
	}
	conf.BindAddr = host
	conf.BindPort = port
	conf.AdvertisePort = port
	conf.EnableCompression = *compression
	conf.ProtocolVersion = uint8(*protocol)
	if *probeInterval > 0 {
		conf.ProbeInterval = time.Duration(*probeInterval) * time.Millisecond
	}
	if *probeTimeout > 0 {
		conf.ProbeTimeout = time.Duration(*probeTimeout) * time.Millisecond
	}
	if *gossipIntvl > 0 {
		conf.GossipInterval = time.Duration(*gossipIntvl) * time.Millisecond
	}
	if *suspicionMult > 0 {
		conf.SuspicionMult = *suspicionMult
	}
	if *pushPull >= 0 {
		conf.PushPullInterval = time.Duration(*pushPull) * time.Millisecond
	}
	if *tcpTimeout > 0 {
		conf.TCPTimeout = time.Duration(*tcpTimeout) * time.Millisecond
	}
	if *toTheDead > 0 {
		conf.GossipToTheDeadTime = time.Duration(*toTheDead) * time.Millisecond
	}
	dv := splitList(*dvers)
	if len(dv) != 3 {
		fatal(fmt.Errorf("-delegate-versions wants min,max,cur, got %q", *dvers))
	}
	var dn [3]uint8
	for i, s := range dv {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > 255 {
			fatal(fmt.Errorf("bad -delegate-versions %q", *dvers))
		}
		dn[i] = uint8(v)
	}
	conf.DelegateProtocolMin, conf.DelegateProtocolMax, conf.DelegateProtocolVersion = dn[0], dn[1], dn[2]

	var keyring *memberlist.Keyring
	if len(keys) > 0 {
		var raw [][]byte
		for _, k := range keys {
			b, err := decodeKey(k)
			if err != nil {
				fatal(err)
			}
			raw = append(raw, b)
		}
		keyring, err = memberlist.NewKeyring(raw[1:], raw[0])
		if err != nil {
			fatal(fmt.Errorf("keyring: %v", err))
		}
		conf.Keyring = keyring
	}

	sink := &logSink{verbose: *verbose}
	conf.LogOutput = sink

	var filter *filterTransport
	var counter *countingTransport
	if *udpFilter || *bench {
		// memberlist only auto-picks the port for its default transport, so do what
		// it does (retry the TCP+UDP pair on "address already in use") here.
		var nt *memberlist.NetTransport
		for try := 0; try < 10; try++ {
			nt, err = memberlist.NewNetTransport(&memberlist.NetTransportConfig{
				BindAddrs: []string{conf.BindAddr},
				BindPort:  conf.BindPort,
				Logger:    log.New(sink, "", log.LstdFlags),
			})
			if err == nil || conf.BindPort != 0 || !strings.Contains(err.Error(), "address already in use") {
				break
			}
		}
		if err != nil {
			fatal(fmt.Errorf("transport: %v", err))
		}
		if conf.BindPort == 0 {
			conf.BindPort = nt.GetAutoBindPort()
			conf.AdvertisePort = conf.BindPort
		}
		var tr memberlist.NodeAwareTransport = nt
		if *udpFilter {
			filter = newFilterTransport(nt)
			tr = filter
		}
		if *bench {
			counter = newCountingTransport(tr)
			tr = counter
		}
		conf.Transport = tr
	}

	del := &delegate{}
	if *metaHex != "" {
		b, err := hex.DecodeString(*metaHex)
		if err != nil {
			fatal(fmt.Errorf("bad -meta: %v", err))
		}
		del.setMeta(b)
	}
	var live atomic.Pointer[memberlist.Memberlist]
	del.queue = &memberlist.TransmitLimitedQueue{
		NumNodes: func() int {
			if ml := live.Load(); ml != nil {
				return ml.NumMembers()
			}
			return 1
		},
		RetransmitMult: conf.RetransmitMult,
	}
	conf.Delegate = del
	conf.Events = events{}
	conf.Ping = pingHooksFromFlags() // hooks.go: nil unless -ping-delegate

	m, err := memberlist.Create(conf)
	if err != nil {
		fatal(fmt.Errorf("create: %v", err))
	}
	live.Store(m)
	self := m.LocalNode()
	emit(map[string]interface{}{
		"event": "ready",
		"name":  self.Name,
		"addr":  net.JoinHostPort(self.Addr.String(), strconv.Itoa(int(self.Port))),
		"pid":   os.Getpid(),
	})

	var shutOnce sync.Once
	shutdown := func(code int) {
		shutOnce.Do(func() {
			m.Shutdown()
			emit(map[string]interface{}{"event": "shutdown"})
			os.Exit(code)
		})
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		shutdown(0)
	}()

	join := func(list []string) {
		n, err := m.Join(list)
		if err != nil {
			emit(map[string]interface{}{"event": "error", "cmd": "join", "error": err.Error(), "contacted": n})
			return
		}
		emit(map[string]interface{}{"event": "joined", "contacted": n})
	}
	if *seeds != "" {
		go join(splitList(*seeds))
	}

	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		cmd, args := fields[0], fields[1:]
		switch cmd {
		case "ping":
			emit(map[string]interface{}{"event": "pong"})
		case "join":
			if len(args) == 0 {
				emitErr(cmd, fmt.Errorf("join needs addresses"))
				continue
			}
			go join(splitList(strings.Join(args, ",")))
		case "members":
			var list []interface{}
			for _, n := range m.Members() {
				list = append(list, nodeJSON(n))
			}
			if list == nil {
				list = []interface{}{}
			}
			emit(map[string]interface{}{"event": "members", "members": list})
		case "meta":
			b := []byte{}
			if len(args) > 0 {
				if b, err = hex.DecodeString(args[0]); err != nil {
					emitErr(cmd, err)
					continue
				}
			}
			del.setMeta(b)
			go func() {
				if err := m.UpdateNode(5 * time.Second); err != nil {
					emitErr("meta", err)
					return
				}
				emit(map[string]interface{}{"event": "meta-updated", "meta": hex.EncodeToString(b)})
			}()
		case "user":
			if len(args) != 1 {
				emitErr(cmd, fmt.Errorf("user needs one hex argument"))
				continue
			}
			b, err := hex.DecodeString(args[0])
			if err != nil {
				emitErr(cmd, err)
				continue
			}
			del.queue.QueueBroadcast(userBroadcast(b))
			emit(map[string]interface{}{"event": "user-queued"})
		case "sendto":
			// One best-effort UDP user message to an address, through memberlist's
			// normal packet path (compression, encryption with the primary key).
			if len(args) != 2 {
				emitErr(cmd, fmt.Errorf("sendto needs <ip:port> <hex>"))
				continue
			}
			to, err := net.ResolveUDPAddr("udp", args[0])
			if err != nil {
				emitErr(cmd, err)
				continue
			}
			b, err := hex.DecodeString(args[1])
			if err != nil {
				emitErr(cmd, err)
				continue
			}
			if err := m.SendTo(to, b); err != nil {
				emitErr(cmd, err)
				continue
			}
			emit(map[string]interface{}{"event": "sent", "to": args[0]})
		case "leave":
			timeout := 5 * time.Second
			if len(args) > 0 {
				if ms, err := strconv.Atoi(args[0]); err == nil {
					timeout = time.Duration(ms) * time.Millisecond
				}
			}
			go func() {
				if err := m.Leave(timeout); err != nil {
					emitErr("leave", err)
				}
				emit(map[string]interface{}{"event": "left"})
			}()
		case "state":
			if err := setUserState(args); err != nil {
				emitErr(cmd, err)
			}
		case "shutdown":
			shutdown(0)
		case "udp":
			if filter == nil || len(args) != 1 || (args[0] != "deaf" && args[0] != "hear") {
				emitErr(cmd, fmt.Errorf("udp deaf|hear needs -udp-filter"))
				continue
			}
			filter.deaf.Store(args[0] == "deaf")
			emit(map[string]interface{}{"event": "udp", "deaf": args[0] == "deaf"})
		case "stats":
			var udpDropped int64
			if filter != nil {
				udpDropped = filter.dropped.Load()
			}
			st := map[string]interface{}{
				"event":           "stats",
				"udpDropped":      udpDropped,
				"decryptFailures": atomic.LoadInt64(&sink.decryptFailures),
				"logErrors":       atomic.LoadInt64(&sink.errors),
				"healthScore":     m.GetHealthScore(),
				"numMembers":      m.NumMembers(),
			}
			if counter != nil {
				st["udpPacketsSent"] = counter.udpPackets.Load()
				st["udpBytesSent"] = counter.udpBytes.Load()
				st["tcpBytesSent"] = counter.tcpBytes.Load()
				st["tcpDials"] = counter.tcpDials.Load()
			}
			emit(st)
		case "keyring":
			if keyring == nil {
				emitErr(cmd, fmt.Errorf("encryption is not enabled (start with -key)"))
				continue
			}
			if len(args) == 0 {
				emitErr(cmd, fmt.Errorf("keyring use|add|remove <b64> | keyring list"))
				continue
			}
			op := args[0]
			if op != "list" {
				if len(args) != 2 {
					emitErr(cmd, fmt.Errorf("keyring %s needs a base64 key", op))
					continue
				}
				k, err := decodeKey(args[1])
				if err != nil {
					emitErr(cmd, err)
					continue
				}
				switch op {
				case "use":
					err = keyring.UseKey(k)
				case "add":
					err = keyring.AddKey(k)
				case "remove":
					err = keyring.RemoveKey(k)
				default:
					err = fmt.Errorf("unknown keyring op %q", op)
				}
				if err != nil {
					emitErr(cmd, err)
					continue
				}
			}
			var ks []string
			for _, k := range keyring.GetKeys() {
				ks = append(ks, base64.StdEncoding.EncodeToString(k))
			}
			emit(map[string]interface{}{
				"event":   "keyring",
				"op":      op,
				"keys":    ks,
				"primary": base64.StdEncoding.EncodeToString(keyring.GetPrimaryKey()),
			})
		default:
			emitErr(cmd, fmt.Errorf("unknown command %q", cmd))
		}
	}
	// stdin closed: the test runner is gone (or done with us).
	shutdown(0)
}
