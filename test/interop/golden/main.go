// Command golden is the Go side of hearsay's wire-compatibility tests.
//
// It is linked against the real memberlist v0.2.2 package plus one file of
// exported wrappers (export_hearsay.go.txt, copied in as zz_hearsay_export.go
// by ../build-golden.sh), so every byte it writes or reads goes through
// memberlist's own encode/compound/LZW/AES-GCM/send/receive code.
//
//	golden gen <dir>   write fixtures.jsonl and lzw/* into <dir>
//	golden decode      read JSON lines {name,kind,hex,key?,keyring?} on stdin,
//	                   decode each with memberlist, print JSON lines
//
// Build: test/interop/build-golden.sh (GOPATH mode, offline).
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	ml "github.com/hashicorp/memberlist"
)

// ---------------------------------------------------------------------------
// Fixed test material.

var (
	key16 = []byte("0123456789abcdef")
	key24 = []byte("0123456789abcdefghijklmn")
	key32 = []byte("0123456789abcdef0123456789ABCDEF")
	keyX  = []byte("fedcba9876543210") // a non-matching key for keyring tests

	vsnDefault = []byte{1, 5, 2, 0, 0, 0}
	vsnSerf    = []byte{1, 5, 2, 2, 5, 4}

	ip127_0_0_1 = []byte{127, 0, 0, 1}
	ip127_0_0_3 = []byte{127, 0, 0, 3}
	ipMapped    = []byte(net.ParseIP("10.0.0.7").To16()) // ::ffff:10.0.0.7, 16 bytes
	ipV6        = []byte(net.ParseIP("fd00::2"))
	serfMeta    = []byte{0xff, 0x81, 0xa4, 'r', 'o', 'l', 'e', 0xa3, 'w', 'e', 'b'}
)

func h(b []byte) string { return hex.EncodeToString(b) }

// hexOrNull renders a nullable []byte (ack Payload, Meta): nil -> null.
func hexOrNull(b []byte) interface{} {
	if b == nil {
		return nil
	}
	return hex.EncodeToString(b)
}

// ---------------------------------------------------------------------------
// JSON form of messages (hearsay's field names; byte fields as hex).

type obj = map[string]interface{}

func addSource(o obj, addr []byte, port uint16, node string) obj {
	// Mirrors Go's `codec:",omitempty"`: empty values are not on the wire.
	if len(addr) > 0 {
		o["sourceAddr"] = h(addr)
	}
	if port != 0 {
		o["sourcePort"] = port
	}
	if node != "" {
		o["sourceNode"] = node
	}
	return o
}

func msgJSON(msgType uint8, body interface{}) (obj, error) {
	switch msgType {
	case ml.HearsayPingMsg:
		p := body.(*ml.HearsayPing)
		return addSource(obj{"type": "ping", "seqNo": p.SeqNo, "node": p.Node}, p.SourceAddr, p.SourcePort, p.SourceNode), nil
	case ml.HearsayIndirectPingMsg:
		p := body.(*ml.HearsayIndirectPingReq)
		return addSource(obj{"type": "indirect-ping", "seqNo": p.SeqNo, "target": h(p.Target), "port": p.Port, "node": p.Node, "nack": p.Nack},
			p.SourceAddr, p.SourcePort, p.SourceNode), nil
	case ml.HearsayAckRespMsg:
		p := body.(*ml.HearsayAckResp)
		return obj{"type": "ack", "seqNo": p.SeqNo, "payload": hexOrNull(p.Payload)}, nil
	case ml.HearsayNackRespMsg:
		p := body.(*ml.HearsayNackResp)
		return obj{"type": "nack", "seqNo": p.SeqNo}, nil
	case ml.HearsaySuspectMsg:
		p := body.(*ml.HearsaySuspect)
		return obj{"type": "suspect", "incarnation": p.Incarnation, "node": p.Node, "from": p.From}, nil
	case ml.HearsayAliveMsg:
		p := body.(*ml.HearsayAlive)
		return obj{"type": "alive", "incarnation": p.Incarnation, "node": p.Node, "addr": h(p.Addr), "port": p.Port,
			"meta": hexOrNull(p.Meta), "vsn": h(p.Vsn)}, nil
	case ml.HearsayDeadMsg:
		p := body.(*ml.HearsayDead)
		return obj{"type": "dead", "incarnation": p.Incarnation, "node": p.Node, "from": p.From}, nil
	case ml.HearsayUserMsg:
		switch p := body.(type) {
		case []byte:
			return obj{"type": "user", "payload": h(p)}, nil
		case *ml.HearsayStreamUser:
			return obj{"type": "user", "payload": h(p.Payload)}, nil
		}
	case ml.HearsayErrMsg:
		p := body.(*ml.HearsayErrResp)
		return obj{"type": "error", "error": p.Error}, nil
	case ml.HearsayPushPullMsg:
		p := body.(*ml.HearsayPushPull)
		nodes := []interface{}{}
		for _, n := range p.Nodes {
			nodes = append(nodes, obj{"name": n.Name, "addr": h(n.Addr), "port": n.Port, "meta": hexOrNull(n.Meta),
				"incarnation": n.Incarnation, "state": int(n.State), "vsn": h(n.Vsn)})
		}
		return obj{"type": "push-pull", "join": p.Join, "nodes": nodes, "userState": h(p.UserState)}, nil
	}
	return nil, fmt.Errorf("no JSON form for message type %d (%T)", msgType, body)
}

// goView maps what memberlist's decoder cannot tell apart onto one form:
// go-msgpack leaves a []byte field nil when the wire has an empty str (a0), so
// an empty Meta or ack Payload decodes exactly like a nil (c0) one. The
// fixtures' expectations keep the wire truth ("" for a0, null for c0); compare
// them with a Go decode only after this mapping.
func goView(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		out := map[string]interface{}{}
		for k, x := range t {
			if (k == "meta" || (k == "payload" && t["type"] == "ack")) && x == "" {
				out[k] = nil
			} else {
				out[k] = goView(x)
			}
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			out[i] = goView(x)
		}
		return out
	}
	return v
}

// normalize round-trips through encoding/json so values compare by JSON meaning.
func normalize(v interface{}) interface{} {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out interface{}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// ---------------------------------------------------------------------------
// Messages used by the fixtures.

type msg struct {
	t    uint8
	body interface{}
}

func (m msg) encode() []byte {
	b, err := ml.HearsayEncode(m.t, m.body)
	must(err)
	return b
}

func (m msg) json() obj {
	o, err := msgJSON(m.t, m.body)
	must(err)
	return o
}

func userMsg(payload []byte) msg { return msg{ml.HearsayUserMsg, payload} }

func (m msg) bytes() []byte {
	if m.t == ml.HearsayUserMsg {
		return append([]byte{ml.HearsayUserMsg}, m.body.([]byte)...)
	}
	return m.encode()
}

func repeat(s string, n int) []byte { return []byte(strings.Repeat(s, n)) }

var (
	pingBasic  = msg{ml.HearsayPingMsg, &ml.HearsayPing{SeqNo: 1, Node: "B"}}
	pingSource = msg{ml.HearsayPingMsg, &ml.HearsayPing{SeqNo: 7, Node: "node-b", SourceAddr: ip127_0_0_1, SourcePort: 7901, SourceNode: "node-a"}}
	pingMax    = msg{ml.HearsayPingMsg, &ml.HearsayPing{SeqNo: 0xffffffff, Node: "", SourceAddr: ipV6, SourcePort: 65535, SourceNode: "v6"}}
	indirect   = msg{ml.HearsayIndirectPingMsg, &ml.HearsayIndirectPingReq{SeqNo: 300, Target: ip127_0_0_3, Port: 7903, Node: "C", Nack: true,
		SourceAddr: ip127_0_0_1, SourcePort: 7901, SourceNode: "A"}}
	indirectBare = msg{ml.HearsayIndirectPingMsg, &ml.HearsayIndirectPingReq{SeqNo: 128, Target: ipMapped, Port: 0, Node: "D", Nack: false}}
	ackNil       = msg{ml.HearsayAckRespMsg, &ml.HearsayAckResp{SeqNo: 1, Payload: nil}}
	ackPayload   = msg{ml.HearsayAckRespMsg, &ml.HearsayAckResp{SeqNo: 70000, Payload: append([]byte{0x01}, repeat("\x3f\xf0\x00\x00\x00\x00\x00\x00", 5)...)}}
	ackEmpty     = msg{ml.HearsayAckRespMsg, &ml.HearsayAckResp{SeqNo: 256, Payload: []byte{}}}
	nack         = msg{ml.HearsayNackRespMsg, &ml.HearsayNackResp{SeqNo: 65535}}
	suspectC     = msg{ml.HearsaySuspectMsg, &ml.HearsaySuspect{Incarnation: 5, Node: "C", From: "A"}}
	aliveV4      = msg{ml.HearsayAliveMsg, &ml.HearsayAlive{Incarnation: 1, Node: "node-b", Addr: ip127_0_0_1, Port: 7902, Meta: serfMeta, Vsn: vsnSerf}}
	aliveV6      = msg{ml.HearsayAliveMsg, &ml.HearsayAlive{Incarnation: 0xffffffff, Node: "v6-node", Addr: ipV6, Port: 65535, Meta: nil, Vsn: vsnDefault}}
	aliveMapped  = msg{ml.HearsayAliveMsg, &ml.HearsayAlive{Incarnation: 128, Node: "mapped", Addr: ipMapped, Port: 7946, Meta: []byte{}, Vsn: vsnDefault}}
	aliveLong    = msg{ml.HearsayAliveMsg, &ml.HearsayAlive{Incarnation: 65536, Node: strings.Repeat("n", 40), Addr: ip127_0_0_1, Port: 255,
		Meta: repeat("meta-", 60), Vsn: vsnDefault}}
	aliveName31 = msg{ml.HearsayAliveMsg, &ml.HearsayAlive{Incarnation: 2, Node: strings.Repeat("x", 31), Addr: ip127_0_0_1, Port: 256, Meta: repeat("m", 32), Vsn: vsnDefault}}
	aliveUTF8   = msg{ml.HearsayAliveMsg, &ml.HearsayAlive{Incarnation: 3, Node: "nœud-ü-東京", Addr: ip127_0_0_1, Port: 7946, Meta: []byte{0x00, 0xff, 0xc0, 0x80}, Vsn: vsnDefault}}
	deadC       = msg{ml.HearsayDeadMsg, &ml.HearsayDead{Incarnation: 3, Node: "C", From: "A"}}
	leaveB      = msg{ml.HearsayDeadMsg, &ml.HearsayDead{Incarnation: 9, Node: "B", From: "B"}}
	userHello   = userMsg([]byte("hello-user\x00\xff\xc3"))
	userEmpty   = userMsg([]byte{})
	errMsg      = msg{ml.HearsayErrMsg, &ml.HearsayErrResp{Error: "Remote state is encrypted and encryption is not configured"}}
)

// ---------------------------------------------------------------------------
// Fixtures.

type options struct {
	Compress          bool `json:"compress"`
	Crc               bool `json:"crc"`
	Encrypted         bool `json:"encrypted"`
	EncryptionVersion int  `json:"encryptionVersion"`
}

type fixture struct {
	Name          string      `json:"name"`
	Kind          string      `json:"kind"` // packet | stream | message | lzw
	Hex           string      `json:"hex,omitempty"`
	Inner         string      `json:"inner,omitempty"`
	Plain         string      `json:"plain,omitempty"`
	Key           string      `json:"key,omitempty"`
	Keyring       []string    `json:"keyring,omitempty"`
	Deterministic bool        `json:"deterministic"`
	Options       *options    `json:"options,omitempty"`
	Nested        bool        `json:"nested,omitempty"`
	InputFile     string      `json:"inputFile,omitempty"`
	OutputFile    string      `json:"outputFile,omitempty"`
	InputLength   *int        `json:"inputLength,omitempty"`
	OutputLength  *int        `json:"outputLength,omitempty"`
	Expect        interface{} `json:"expect,omitempty"`
	Note          string      `json:"note,omitempty"`
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "golden:", err)
		os.Exit(1)
	}
}

func harness(compress bool, keys [][]byte, pv uint8) *ml.HearsayHarness {
	hh, err := ml.NewHearsayHarness(ml.HearsayHarnessConfig{Name: "golden", Compression: compress, Keys: keys, ProtocolVersion: pv, VerifyIncoming: true})
	must(err)
	return hh
}

type packetSpec struct {
	name     string
	msgs     []msg
	inner    []byte // overrides msgs-derived inner (nested layouts)
	nested   bool
	compress bool
	crc      bool
	key      []byte
	keyring  [][]byte
	encVsn   int // 1 or 0
	note     string
}

func (s packetSpec) innerBytes() []byte {
	if s.inner != nil {
		return s.inner
	}
	if len(s.msgs) == 1 {
		return s.msgs[0].bytes()
	}
	parts := make([][]byte, len(s.msgs))
	for i, m := range s.msgs {
		parts[i] = m.bytes()
	}
	return ml.HearsayMakeCompoundMessage(parts)
}

func expectMessages(msgs []msg) obj {
	out := []interface{}{}
	for _, m := range msgs {
		out = append(out, m.json())
	}
	return obj{"messages": out}
}

func buildPacket(s packetSpec) fixture {
	var keys [][]byte
	pv := uint8(0)
	if s.key != nil {
		keys = [][]byte{s.key}
		if s.encVsn == 0 {
			pv = 1
		}
	}
	sender := harness(s.compress, keys, pv)
	inner := s.innerBytes()
	pmax := uint8(4)
	if s.crc {
		pmax = 5
	}
	dgram, err := sender.SendPacket(inner, pmax)
	must(err)
	f := fixture{Name: s.name, Kind: "packet", Hex: h(dgram), Inner: h(inner), Deterministic: s.key == nil, Nested: s.nested, Note: s.note,
		Options: &options{Compress: s.compress, Crc: s.crc, Encrypted: s.key != nil, EncryptionVersion: 1}}
	if s.key != nil {
		f.Options.EncryptionVersion = s.encVsn
		f.Key = h(s.key)
		ring := s.keyring
		if ring == nil {
			ring = [][]byte{s.key}
		}
		for _, k := range ring {
			f.Keyring = append(f.Keyring, h(k))
		}
		plain, err := ml.HearsayDecryptPayload(ring, dgram, nil)
		must(err)
		f.Plain = h(plain)
	}
	f.Expect = expectMessages(s.msgs)
	return f
}

type streamSpec struct {
	name     string
	compress bool
	key      []byte
	encVsn   int
	run      func(hh *ml.HearsayHarness) []byte
	expect   obj
	note     string
}

func buildStream(s streamSpec) fixture {
	var keys [][]byte
	pv := uint8(0)
	if s.key != nil {
		keys = [][]byte{s.key}
		if s.encVsn == 0 {
			pv = 1
		}
	}
	out := s.run(harness(s.compress, keys, pv))
	inner := s.run(harness(false, nil, 0))
	f := fixture{Name: s.name, Kind: "stream", Hex: h(out), Inner: h(inner), Deterministic: s.key == nil, Note: s.note,
		Options: &options{Compress: s.compress, Encrypted: s.key != nil, EncryptionVersion: 1}, Expect: obj{"message": s.expect}}
	if s.key != nil {
		f.Options.EncryptionVersion = s.encVsn
		f.Key = h(s.key)
		f.Keyring = []string{h(s.key)}
		if len(out) < 5 || out[0] != ml.HearsayEncryptMsg {
			must(fmt.Errorf("%s: expected an encrypted stream", s.name))
		}
		plain, err := ml.HearsayDecryptPayload([][]byte{s.key}, out[5:], out[:5])
		must(err)
		f.Plain = h(plain)
	}
	return f
}

var pushPullNodes = []ml.HearsayNode{
	{Name: "node-a", Addr: ip127_0_0_1, Port: 7946, Meta: serfMeta, Incarnation: 1, State: 0, Vsn: vsnSerf},
	{Name: "node-b", Addr: ipMapped, Port: 7947, Meta: nil, Incarnation: 300, State: 1, Vsn: vsnDefault},
	{Name: strings.Repeat("long-node-name-", 3), Addr: ipV6, Port: 65535, Meta: repeat("z", 40), Incarnation: 0xffffffff, State: 3, Vsn: vsnDefault},
}

func pushPullExpect(join bool, userState []byte, nodes []ml.HearsayNode) obj {
	ns := []interface{}{}
	for _, n := range nodes {
		ns = append(ns, obj{"name": n.Name, "addr": h(n.Addr), "port": n.Port, "meta": hexOrNull(n.Meta), "incarnation": n.Incarnation,
			"state": n.State, "vsn": h(n.Vsn)})
	}
	return obj{"type": "push-pull", "join": join, "nodes": ns, "userState": h(userState)}
}

func pushPullRun(join bool, userState []byte, nodes []ml.HearsayNode) func(*ml.HearsayHarness) []byte {
	return func(hh *ml.HearsayHarness) []byte {
		// A harness with the node table and delegate state filled in, same
		// compression/encryption as hh (which only carries those settings).
		out, err := hh.WithState(nodes, userState).SendLocalState(join)
		must(err)
		return out
	}
}

func userRun(payload []byte) func(*ml.HearsayHarness) []byte {
	return func(hh *ml.HearsayHarness) []byte {
		out, err := hh.SendUserMsg(payload)
		must(err)
		return out
	}
}

func rawStreamRun(m msg) func(*ml.HearsayHarness) []byte {
	return func(hh *ml.HearsayHarness) []byte {
		out, err := hh.RawSendMsgStream(m.encode())
		must(err)
		return out
	}
}

// pingExchange runs the real TCP fallback ping between two harnesses and
// returns (request, reply).
func pingExchange(compress bool, key []byte, p ml.HearsayPing) ([]byte, []byte) {
	var keys [][]byte
	if key != nil {
		keys = [][]byte{key}
	}
	client := harness(compress, keys, 0)
	server, err := ml.NewHearsayHarness(ml.HearsayHarnessConfig{Name: p.Node, Compression: compress, Keys: keys, VerifyIncoming: true})
	must(err)
	req, reply, err := client.StreamPingExchange(server, p)
	must(err)
	return req, reply
}

func errorReplyRun(input []byte) func(*ml.HearsayHarness) []byte {
	return func(hh *ml.HearsayHarness) []byte {
		out, err := hh.HandleConnReply(input)
		must(err)
		return out
	}
}

// ---------------------------------------------------------------------------
// LZW corpus (deterministic inputs).

func lzwCorpus() []struct {
	name string
	in   []byte
} {
	r := rand.New(rand.NewSource(20240601))
	random4k := make([]byte, 4096)
	r.Read(random4k)

	var rep bytes.Buffer
	for i := 0; rep.Len() < 64*1024; i++ {
		fmt.Fprintf(&rep, "hearsay memberlist gossip %d;", i%17)
	}
	repetitive := rep.Bytes()[:64*1024]

	words := []string{"alive", "suspect", "dead", "left", "ping", "ack", "nack", "gossip", "probe", "push", "pull",
		"node", "serf", "meta", "vsn", "incarnation", "lamport", "udp", "tcp", "crc", "lzw", "aes", "gcm", "label",
		"compound", "relay", "refute", "awareness", "suspicion", "timeout", "\x00\x01", "\xff\xfe\xfd"}
	r2 := rand.New(rand.NewSource(7))
	var big bytes.Buffer
	for big.Len() < 256*1024 {
		big.WriteString(words[r2.Intn(len(words))])
		big.WriteByte(byte(" ,.;\n"[r2.Intn(5)]))
		if r2.Intn(10) == 0 {
			fmt.Fprintf(&big, "%d", r2.Intn(100000))
		}
	}
	bigIn := big.Bytes()[:256*1024]

	ramp := make([]byte, 256*3)
	for i := range ramp {
		ramp[i] = byte(i)
	}
	zeros := make([]byte, 4096)

	return []struct {
		name string
		in   []byte
	}{
		{"empty", []byte{}},
		{"one-byte", []byte{0x41}},
		{"two-bytes-same", []byte{0x06, 0x06}},
		{"ramp-768", ramp},
		{"zeros-4k", zeros},
		{"random-4k", random4k},
		{"repetitive-64k", repetitive},
		{"words-256k", bigIn},
	}
}

// ---------------------------------------------------------------------------
// gen

func gen(dir string) {
	var fixtures []fixture

	// --- plain packets: every packet message type, exactly encode() output.
	plain := []struct {
		name string
		m    msg
	}{
		{"ping-basic", pingBasic}, {"ping-source", pingSource}, {"ping-max-ipv6-source", pingMax},
		{"indirect-ping", indirect}, {"indirect-ping-bare", indirectBare},
		{"ack-nil-payload", ackNil}, {"ack-payload", ackPayload}, {"ack-empty-payload", ackEmpty},
		{"nack", nack}, {"suspect", suspectC},
		{"alive-ipv4-serf-meta", aliveV4}, {"alive-ipv6-nil-meta", aliveV6}, {"alive-ipv4-mapped-empty-meta", aliveMapped},
		{"alive-str16-name-and-meta", aliveLong}, {"alive-fixstr-boundary", aliveName31}, {"alive-utf8-name", aliveUTF8},
		{"dead", deadC}, {"leave", leaveB}, {"user", userHello}, {"user-empty", userEmpty},
	}
	for _, p := range plain {
		fixtures = append(fixtures, buildPacket(packetSpec{name: "packet-" + p.name, msgs: []msg{p.m}}))
	}

	gossip := []msg{aliveV4, suspectC, deadC, leaveB, userHello}
	fixtures = append(fixtures,
		buildPacket(packetSpec{name: "packet-compound-gossip", msgs: gossip}),
		buildPacket(packetSpec{name: "packet-compound-ping-suspect", msgs: []msg{pingSource, suspectC},
			note: "buddy-system probe of a suspect node"}),
		buildPacket(packetSpec{name: "packet-compound-single", msgs: []msg{ackNil, nack}}),
	)

	// Nested: compound[ ping, compress(alive), compound[suspect, dead] ].
	{
		comp, err := ml.HearsayCompressPayload(aliveLong.bytes())
		must(err)
		sub := ml.HearsayMakeCompoundMessage([][]byte{suspectC.bytes(), deadC.bytes()})
		inner := ml.HearsayMakeCompoundMessage([][]byte{pingBasic.bytes(), comp, sub})
		fixtures = append(fixtures, buildPacket(packetSpec{name: "packet-compound-nested", inner: inner, nested: true,
			msgs: []msg{pingBasic, aliveLong, suspectC, deadC}, note: "compound part 2 is compressed, part 3 is itself a compound"}))
	}
	// Truncated compound: declared lengths run past the buffer; Go keeps the parts that fit.
	{
		full := ml.HearsayMakeCompoundMessage([][]byte{pingBasic.bytes(), suspectC.bytes(), deadC.bytes()})
		cut := full[:len(full)-3]
		f := buildPacket(packetSpec{name: "packet-compound-truncated", inner: cut, nested: true, msgs: []msg{pingBasic, suspectC},
			note: "last part truncated by 3 bytes: memberlist handles the 2 complete parts and logs 1 truncated"})
		fixtures = append(fixtures, f)
	}

	// --- CRC (recipient PMax >= 5).
	fixtures = append(fixtures,
		buildPacket(packetSpec{name: "packet-crc-ping", msgs: []msg{pingSource}, crc: true}),
		buildPacket(packetSpec{name: "packet-crc-leave", msgs: []msg{leaveB}, crc: true}),
		buildPacket(packetSpec{name: "packet-crc-compound-gossip", msgs: gossip, crc: true}),
	)

	// --- compression (UDP: only kept when strictly smaller).
	fixtures = append(fixtures,
		buildPacket(packetSpec{name: "packet-compress-alive-long", msgs: []msg{aliveLong}, compress: true}),
		buildPacket(packetSpec{name: "packet-compress-compound-gossip", msgs: gossip, compress: true}),
		buildPacket(packetSpec{name: "packet-compress-not-smaller-ping", msgs: []msg{pingBasic}, compress: true,
			note: "compression requested but LZW output is not smaller: sent uncompressed"}),
		buildPacket(packetSpec{name: "packet-compress-crc-compound-gossip", msgs: gossip, compress: true, crc: true}),
		buildPacket(packetSpec{name: "packet-compress-user-repetitive", msgs: []msg{userMsg(repeat("abcabcabd", 50))}, compress: true}),
	)

	// --- encryption (random nonce: compare decrypted plaintext, not bytes).
	fixtures = append(fixtures,
		buildPacket(packetSpec{name: "packet-enc16-ping", msgs: []msg{pingSource}, key: key16, encVsn: 1}),
		buildPacket(packetSpec{name: "packet-enc16-compress-crc-compound", msgs: gossip, compress: true, crc: true, key: key16, encVsn: 1,
			note: "default LAN config towards a PMax 5 peer: encrypt(crc(compress(compound)))"}),
		buildPacket(packetSpec{name: "packet-enc24-suspect", msgs: []msg{suspectC}, key: key24, encVsn: 1}),
		buildPacket(packetSpec{name: "packet-enc32-alive", msgs: []msg{aliveV6}, key: key32, encVsn: 1}),
		buildPacket(packetSpec{name: "packet-enc32-compress-alive-long", msgs: []msg{aliveLong}, compress: true, key: key32, encVsn: 1}),
		buildPacket(packetSpec{name: "packet-enc16-v0-padded-ping", msgs: []msg{pingSource}, key: key16, encVsn: 0,
			note: "encryption version 0 (ProtocolVersion 1): PKCS#7 padded"}),
		buildPacket(packetSpec{name: "packet-enc16-v0-padded-block-multiple", msgs: []msg{userMsg(repeat("0123456789abcdef", 2))}, key: key16, encVsn: 0,
			note: "plaintext is a multiple of 16: a full block of padding (16 x 0x10)"}),
		buildPacket(packetSpec{name: "packet-enc-keyring-secondary", msgs: []msg{aliveV4}, key: key16, keyring: [][]byte{keyX, key16}, encVsn: 1,
			note: "encrypted with a key that is second in the receiving keyring"}),
	)

	// --- piggyback through the real sendMsg (broadcast queue + delegate broadcasts).
	{
		hh, err := ml.NewHearsayHarness(ml.HearsayHarnessConfig{Name: "A", UserBroadcasts: [][]byte{[]byte("user-bcast-1"), []byte("u2")}})
		must(err)
		hh.QueueBroadcast("C", ml.HearsaySuspectMsg, suspectC.body)
		hh.QueueBroadcast("node-b", ml.HearsayAliveMsg, aliveV4.body)
		hh.QueueBroadcast("D", ml.HearsayDeadMsg, &ml.HearsayDead{Incarnation: 4, Node: "D", From: "A"})
		dgram, err := hh.SendMsgPiggyback(ml.HearsayPingMsg, pingSource.body)
		must(err)
		dec := harness(false, nil, 0)
		res, err := dec.ReadPacket(dgram)
		must(err)
		msgs := []interface{}{}
		for _, p := range res.Parts {
			o, err := msgJSON(p.MsgType, p.Body)
			must(err)
			msgs = append(msgs, o)
		}
		if len(msgs) != 6 {
			must(fmt.Errorf("piggyback: expected 6 messages, got %d", len(msgs)))
		}
		fixtures = append(fixtures, fixture{Name: "packet-piggyback-ping", Kind: "packet", Hex: h(dgram), Inner: h(dgram), Deterministic: true,
			Options: &options{EncryptionVersion: 1}, Expect: obj{"messages": msgs},
			Note: "real sendMsg: ping + queued broadcasts (largest first) + delegate broadcasts as 08 parts; no CRC (address is not a node name)"})
	}

	// --- bare message: errResp (stream-only type, encode() output).
	fixtures = append(fixtures, fixture{Name: "message-error", Kind: "message", Hex: h(errMsg.encode()), Inner: h(errMsg.encode()),
		Deterministic: true, Expect: obj{"messages": []interface{}{errMsg.json()}}})

	// --- streams.
	userState := []byte("USERSTATE\x00\x01\xff\xfe-with-binary")
	streams := []streamSpec{
		{name: "stream-pushpull-plain", run: pushPullRun(true, userState, pushPullNodes), expect: pushPullExpect(true, userState, pushPullNodes)},
		{name: "stream-pushpull-no-user-state", run: pushPullRun(false, nil, pushPullNodes[:1]), expect: pushPullExpect(false, nil, pushPullNodes[:1]),
			note: "UserStateLen 0, Join false, one node"},
		{name: "stream-pushpull-compressed", compress: true, run: pushPullRun(true, userState, pushPullNodes), expect: pushPullExpect(true, userState, pushPullNodes)},
		{name: "stream-pushpull-enc16", key: key16, encVsn: 1, run: pushPullRun(false, userState, pushPullNodes), expect: pushPullExpect(false, userState, pushPullNodes)},
		{name: "stream-pushpull-enc32-compressed", compress: true, key: key32, encVsn: 1, run: pushPullRun(true, userState, pushPullNodes),
			expect: pushPullExpect(true, userState, pushPullNodes)},
		{name: "stream-pushpull-enc16-v0-padded", key: key16, encVsn: 0, run: pushPullRun(true, userState, pushPullNodes),
			expect: pushPullExpect(true, userState, pushPullNodes)},
		{name: "stream-user-plain", run: userRun([]byte("hello-reliable")), expect: obj{"type": "user", "payload": h([]byte("hello-reliable"))}},
		{name: "stream-user-compressed", compress: true, run: userRun(repeat("reliable!", 40)), expect: obj{"type": "user", "payload": h(repeat("reliable!", 40))}},
		{name: "stream-user-enc16", key: key16, encVsn: 1, run: userRun([]byte("secret-reliable")), expect: obj{"type": "user", "payload": h([]byte("secret-reliable"))}},
		{name: "stream-ping-plain", run: rawStreamRun(pingSource), expect: pingSource.json()},
		{name: "stream-ack-plain", run: rawStreamRun(ackNil), expect: ackNil.json()},
		{name: "stream-error-plain", run: rawStreamRun(errMsg), expect: errMsg.json()},
	}
	for _, s := range streams {
		fixtures = append(fixtures, buildStream(s))
	}

	// Real TCP fallback ping exchange: sendPingAndWaitForAck <-> handleConn over net.Pipe.
	for _, v := range []struct {
		suffix   string
		compress bool
		key      []byte
	}{{"plain", false, nil}, {"compressed", true, nil}, {"enc16", false, key16}, {"enc16-compressed", true, key16}} {
		p := ml.HearsayPing{SeqNo: 42, Node: "B", SourceAddr: ip127_0_0_1, SourcePort: 7901, SourceNode: "A"}
		req, reply := pingExchange(v.compress, v.key, p)
		innerReq, innerReply := pingExchange(false, nil, p)
		opts := &options{Compress: v.compress, Encrypted: v.key != nil, EncryptionVersion: 1}
		fReq := fixture{Name: "stream-exchange-ping-" + v.suffix, Kind: "stream", Hex: h(req), Inner: h(innerReq), Deterministic: v.key == nil,
			Options: opts, Expect: obj{"message": msg{ml.HearsayPingMsg, &p}.json()}, Note: "written by the real sendPingAndWaitForAck"}
		fRep := fixture{Name: "stream-exchange-ack-" + v.suffix, Kind: "stream", Hex: h(reply), Inner: h(innerReply), Deterministic: v.key == nil,
			Options: opts, Expect: obj{"message": msg{ml.HearsayAckRespMsg, &ml.HearsayAckResp{SeqNo: 42}}.json()},
			Note: "written by the real handleConn in reply to the ping"}
		for _, f := range []*fixture{&fReq, &fRep} {
			if v.key != nil {
				raw, _ := hex.DecodeString(f.Hex)
				plain, err := ml.HearsayDecryptPayload([][]byte{v.key}, raw[5:], raw[:5])
				must(err)
				f.Plain, f.Key, f.Keyring = h(plain), h(v.key), []string{h(v.key)}
			}
		}
		fixtures = append(fixtures, fReq, fRep)
	}

	// Real error replies from handleConn.
	{
		encryptedJunk := append([]byte{ml.HearsayEncryptMsg, 0, 0, 0, 30}, make([]byte, 30)...)
		msg1 := "Remote state is encrypted and encryption is not configured"
		msg2 := "Encryption is configured but remote state is not encrypted"
		fixtures = append(fixtures,
			buildStream(streamSpec{name: "stream-error-reply-plain", run: errorReplyRun(encryptedJunk),
				expect: obj{"type": "error", "error": msg1}, note: "handleConn's reply to an encrypted stream when encryption is off"}),
			buildStream(streamSpec{name: "stream-error-reply-compressed", compress: true, run: errorReplyRun(encryptedJunk),
				expect: obj{"type": "error", "error": msg1}}),
		)
		// Encryption on, plaintext ping in: the error reply itself is encrypted.
		hh := harness(false, [][]byte{key16}, 0)
		out, err := hh.HandleConnReply(pingBasic.encode())
		must(err)
		plain, err := ml.HearsayDecryptPayload([][]byte{key16}, out[5:], out[:5])
		must(err)
		inner, err := harness(false, nil, 0).RawSendMsgStream(msg{ml.HearsayErrMsg, &ml.HearsayErrResp{Error: msg2}}.encode())
		must(err)
		fixtures = append(fixtures, fixture{Name: "stream-error-reply-enc16", Kind: "stream", Hex: h(out), Inner: h(inner), Plain: h(plain),
			Key: h(key16), Keyring: []string{h(key16)}, Options: &options{Encrypted: true, EncryptionVersion: 1},
			Expect: obj{"message": obj{"type": "error", "error": msg2}}, Note: "handleConn's reply to a plaintext stream when encryption is required"})
	}

	// --- LZW corpus.
	must(os.MkdirAll(filepath.Join(dir, "lzw"), 0o755))
	for _, c := range lzwCorpus() {
		out, err := ml.HearsayLZW(c.in)
		must(err)
		inFile := "lzw/" + c.name + ".in"
		outFile := "lzw/" + c.name + ".lzw"
		must(os.WriteFile(filepath.Join(dir, inFile), c.in, 0o644))
		must(os.WriteFile(filepath.Join(dir, outFile), out, 0o644))
		inLen, outLen := len(c.in), len(out)
		fixtures = append(fixtures, fixture{Name: "lzw-" + c.name, Kind: "lzw", InputFile: inFile, OutputFile: outFile,
			InputLength: &inLen, OutputLength: &outLen, Deterministic: true})
	}

	// Self-check: memberlist decodes every fixture back to its expectation.
	for _, f := range fixtures {
		res := decodeOne(request{Name: f.Name, Kind: f.Kind, Hex: f.Hex, Key: f.Key, Keyring: f.Keyring,
			InputFile: f.InputFile, OutputFile: f.OutputFile, dir: dir})
		if e, ok := res["error"]; ok {
			must(fmt.Errorf("self-check %s: %v", f.Name, e))
		}
		switch f.Kind {
		case "packet", "message":
			if !reflect.DeepEqual(normalize(res["messages"]), goView(normalize(f.Expect.(obj)["messages"]))) {
				must(fmt.Errorf("self-check %s: decoded %s, expected %s", f.Name, mustJSON(res["messages"]), mustJSON(f.Expect)))
			}
		case "stream":
			if !reflect.DeepEqual(normalize(res["message"]), goView(normalize(f.Expect.(obj)["message"]))) {
				must(fmt.Errorf("self-check %s: decoded %s, expected %s", f.Name, mustJSON(res["message"]), mustJSON(f.Expect)))
			}
			if res["trailing"] != 0 {
				must(fmt.Errorf("self-check %s: %v trailing bytes", f.Name, res["trailing"]))
			}
		case "lzw":
			if res["ok"] != true {
				must(fmt.Errorf("self-check %s: %s", f.Name, mustJSON(res)))
			}
		}
	}

	var out bytes.Buffer
	for _, f := range fixtures {
		b, err := json.Marshal(f)
		must(err)
		out.Write(b)
		out.WriteByte('\n')
	}
	must(os.WriteFile(filepath.Join(dir, "fixtures.jsonl"), out.Bytes(), 0o644))
	fmt.Fprintf(os.Stderr, "golden: wrote %d fixtures to %s\n", len(fixtures), dir)
}

func mustJSON(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ---------------------------------------------------------------------------
// decode

type request struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"` // packet | stream | message | lzw
	Hex     string   `json:"hex"`
	Key     string   `json:"key,omitempty"`
	Keyring []string `json:"keyring,omitempty"`
	// VerifyIncoming: GossipVerifyIncoming when a key is given (default true).
	VerifyIncoming *bool `json:"verifyIncoming,omitempty"`
	// encode / encode-stream: a message in the JSON form; Compress for encode-stream.
	Message  map[string]interface{} `json:"message,omitempty"`
	Compress bool                   `json:"compress,omitempty"`
	// lzw from files (gen self-check only)
	InputFile  string `json:"inputFile,omitempty"`
	OutputFile string `json:"outputFile,omitempty"`
	dir        string
}

func decodeOne(r request) (res obj) {
	res = obj{"name": r.Name}
	defer func() {
		if p := recover(); p != nil {
			res = obj{"name": r.Name, "error": fmt.Sprintf("panic: %v", p)}
		}
	}()
	fail := func(err error) obj { return obj{"name": r.Name, "error": err.Error()} }

	var raw []byte
	if r.Kind == "lzw" && r.OutputFile != "" {
		b, err := os.ReadFile(filepath.Join(r.dir, r.OutputFile))
		if err != nil {
			return fail(err)
		}
		raw = b
	} else {
		b, err := hex.DecodeString(r.Hex)
		if err != nil {
			return fail(fmt.Errorf("bad hex: %v", err))
		}
		raw = b
	}
	var keys [][]byte
	for _, k := range r.Keyring {
		b, err := hex.DecodeString(k)
		if err != nil {
			return fail(fmt.Errorf("bad keyring hex: %v", err))
		}
		keys = append(keys, b)
	}
	if len(keys) == 0 && r.Key != "" {
		b, err := hex.DecodeString(r.Key)
		if err != nil {
			return fail(fmt.Errorf("bad key hex: %v", err))
		}
		keys = [][]byte{b}
	}
	verify := true
	if r.VerifyIncoming != nil {
		verify = *r.VerifyIncoming
	}
	hh, err := ml.NewHearsayHarness(ml.HearsayHarnessConfig{Name: "golden", Keys: keys, VerifyIncoming: verify})
	if err != nil {
		return fail(err)
	}

	switch r.Kind {
	case "packet":
		pr, err := hh.ReadPacket(raw)
		if err != nil {
			return fail(err)
		}
		msgs := []interface{}{}
		for _, p := range pr.Parts {
			o, err := msgJSON(p.MsgType, p.Body)
			if err != nil {
				return fail(err)
			}
			msgs = append(msgs, o)
		}
		res["messages"] = msgs
		res["decrypted"] = pr.Decrypted
		res["crc"] = pr.Crc
		res["compressed"] = pr.Compressed
		res["truncated"] = pr.Truncated
	case "message":
		if len(raw) == 0 {
			return fail(fmt.Errorf("empty message"))
		}
		var body interface{}
		switch raw[0] {
		case ml.HearsayErrMsg:
			body = &ml.HearsayErrResp{}
		default:
			pr, err := hh.ReadPacket(raw)
			if err != nil {
				return fail(err)
			}
			msgs := []interface{}{}
			for _, p := range pr.Parts {
				o, err := msgJSON(p.MsgType, p.Body)
				if err != nil {
					return fail(err)
				}
				msgs = append(msgs, o)
			}
			res["messages"] = msgs
			return res
		}
		if err := ml.HearsayDecode(raw[1:], body); err != nil {
			return fail(err)
		}
		o, err := msgJSON(raw[0], body)
		if err != nil {
			return fail(err)
		}
		res["messages"] = []interface{}{o}
	case "stream":
		sr, err := hh.ReadStream(raw)
		if err != nil {
			return fail(err)
		}
		o, err := msgJSON(sr.MsgType, sr.Body)
		if err != nil {
			return fail(err)
		}
		res["message"] = o
		res["trailing"] = sr.Trailing
		res["encrypted"] = sr.Encrypted
		res["compressed"] = sr.Compress
	case "lzw":
		out, err := ml.HearsayUnLZW(raw)
		if err != nil {
			return fail(err)
		}
		if r.InputFile != "" {
			want, err := os.ReadFile(filepath.Join(r.dir, r.InputFile))
			if err != nil {
				return fail(err)
			}
			res["ok"] = bytes.Equal(want, out)
		} else {
			res["hex"] = h(out)
		}
	case "lzw-compress":
		out, err := ml.HearsayLZW(raw)
		if err != nil {
			return fail(err)
		}
		res["hex"] = h(out)
	case "encode":
		t, body, err := msgFromJSON(r.Message)
		if err != nil {
			return fail(err)
		}
		if t == ml.HearsayUserMsg {
			res["hex"] = h(append([]byte{ml.HearsayUserMsg}, body.([]byte)...))
			break
		}
		out, err := ml.HearsayEncode(t, body)
		if err != nil {
			return fail(err)
		}
		res["hex"] = h(out)
	case "encode-stream":
		t, body, err := msgFromJSON(r.Message)
		if err != nil {
			return fail(err)
		}
		sh, err := ml.NewHearsayHarness(ml.HearsayHarnessConfig{Name: "golden", Compression: r.Compress})
		if err != nil {
			return fail(err)
		}
		var out []byte
		switch t {
		case ml.HearsayPushPullMsg:
			pp := body.(*pushPullIn)
			out, err = sh.WithState(pp.nodes, pp.userState).SendLocalState(pp.join)
		case ml.HearsayUserMsg:
			out, err = sh.SendUserMsg(body.([]byte))
		default:
			var enc []byte
			enc, err = ml.HearsayEncode(t, body)
			if err == nil {
				out, err = sh.RawSendMsgStream(enc)
			}
		}
		if err != nil {
			return fail(err)
		}
		res["hex"] = h(out)
	default:
		return fail(fmt.Errorf("unknown kind %q", r.Kind))
	}
	return res
}

// ---------------------------------------------------------------------------
// JSON form -> Go structs (for the encode kinds).

type pushPullIn struct {
	join      bool
	nodes     []ml.HearsayNode
	userState []byte
}

type jsonReader struct {
	o   map[string]interface{}
	err error
}

func (j *jsonReader) fail(format string, a ...interface{}) {
	if j.err == nil {
		j.err = fmt.Errorf(format, a...)
	}
}

func (j *jsonReader) num(k string, max float64) float64 {
	v, ok := j.o[k].(float64)
	if !ok || v < 0 || v > max || v != float64(int64(v)) {
		j.fail("field %s: want integer in [0, %v], got %v", k, max, j.o[k])
		return 0
	}
	return v
}

func (j *jsonReader) str(k string) string {
	v, ok := j.o[k].(string)
	if !ok {
		j.fail("field %s: want string, got %v", k, j.o[k])
	}
	return v
}

func (j *jsonReader) boolean(k string) bool {
	v, ok := j.o[k].(bool)
	if !ok {
		j.fail("field %s: want bool, got %v", k, j.o[k])
	}
	return v
}

// bytes: hex string -> bytes ("" -> empty non-nil, so Go writes a0); null -> nil (c0).
func (j *jsonReader) bytes(k string, nullable bool) []byte {
	v, present := j.o[k]
	if v == nil {
		if !nullable && present {
			j.fail("field %s: null not allowed", k)
		}
		return nil
	}
	s, ok := v.(string)
	if !ok {
		j.fail("field %s: want hex string, got %v", k, v)
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		j.fail("field %s: %v", k, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b
}

// source fields are optional; absent -> zero value (omitted by Go's omitempty).
func (j *jsonReader) source() ([]byte, uint16, string) {
	var addr []byte
	var port uint16
	var node string
	if _, ok := j.o["sourceAddr"]; ok {
		addr = j.bytes("sourceAddr", false)
	}
	if _, ok := j.o["sourcePort"]; ok {
		port = uint16(j.num("sourcePort", 65535))
	}
	if _, ok := j.o["sourceNode"]; ok {
		node = j.str("sourceNode")
	}
	return addr, port, node
}

func msgFromJSON(o map[string]interface{}) (uint8, interface{}, error) {
	j := &jsonReader{o: o}
	const u32, u16 = float64(0xffffffff), float64(0xffff)
	var t uint8
	var body interface{}
	switch typ := j.str("type"); typ {
	case "ping":
		a, p, n := j.source()
		t, body = ml.HearsayPingMsg, &ml.HearsayPing{SeqNo: uint32(j.num("seqNo", u32)), Node: j.str("node"), SourceAddr: a, SourcePort: p, SourceNode: n}
	case "indirect-ping":
		a, p, n := j.source()
		t, body = ml.HearsayIndirectPingMsg, &ml.HearsayIndirectPingReq{SeqNo: uint32(j.num("seqNo", u32)), Target: j.bytes("target", false),
			Port: uint16(j.num("port", u16)), Node: j.str("node"), Nack: j.boolean("nack"), SourceAddr: a, SourcePort: p, SourceNode: n}
	case "ack":
		t, body = ml.HearsayAckRespMsg, &ml.HearsayAckResp{SeqNo: uint32(j.num("seqNo", u32)), Payload: j.bytes("payload", true)}
	case "nack":
		t, body = ml.HearsayNackRespMsg, &ml.HearsayNackResp{SeqNo: uint32(j.num("seqNo", u32))}
	case "suspect":
		t, body = ml.HearsaySuspectMsg, &ml.HearsaySuspect{Incarnation: uint32(j.num("incarnation", u32)), Node: j.str("node"), From: j.str("from")}
	case "dead":
		t, body = ml.HearsayDeadMsg, &ml.HearsayDead{Incarnation: uint32(j.num("incarnation", u32)), Node: j.str("node"), From: j.str("from")}
	case "alive":
		t, body = ml.HearsayAliveMsg, &ml.HearsayAlive{Incarnation: uint32(j.num("incarnation", u32)), Node: j.str("node"), Addr: j.bytes("addr", false),
			Port: uint16(j.num("port", u16)), Meta: j.bytes("meta", true), Vsn: j.bytes("vsn", false)}
	case "user":
		t, body = ml.HearsayUserMsg, j.bytes("payload", false)
	case "error":
		t, body = ml.HearsayErrMsg, &ml.HearsayErrResp{Error: j.str("error")}
	case "push-pull":
		pp := &pushPullIn{join: j.boolean("join"), userState: j.bytes("userState", false)}
		if len(pp.userState) == 0 {
			pp.userState = nil // Delegate.LocalState returning nothing
		}
		nodes, ok := o["nodes"].([]interface{})
		if !ok {
			j.fail("field nodes: want array")
		}
		for _, x := range nodes {
			no, ok := x.(map[string]interface{})
			if !ok {
				j.fail("nodes: want objects")
				break
			}
			nj := &jsonReader{o: no}
			pp.nodes = append(pp.nodes, ml.HearsayNode{Name: nj.str("name"), Addr: nj.bytes("addr", false), Port: uint16(nj.num("port", u16)),
				Meta: nj.bytes("meta", true), Incarnation: uint32(nj.num("incarnation", u32)), State: int(nj.num("state", 255)), Vsn: nj.bytes("vsn", false)})
			if nj.err != nil {
				j.fail("node: %v", nj.err)
			}
		}
		t, body = ml.HearsayPushPullMsg, pp
	default:
		j.fail("unknown type %q", typ)
	}
	if j.err != nil {
		return 0, nil, j.err
	}
	return t, body, nil
}

func decodeMode() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var r request
			if jerr := json.Unmarshal(line, &r); jerr != nil {
				must(enc.Encode(obj{"name": "", "error": "bad request line: " + jerr.Error()}))
			} else {
				must(enc.Encode(decodeOne(r)))
			}
		}
		if err != nil {
			break
		}
	}
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "gen" {
		gen(os.Args[2])
		return
	}
	if len(os.Args) == 2 && os.Args[1] == "decode" {
		decodeMode()
		return
	}
	fmt.Fprintln(os.Stderr, "usage: golden gen <dir> | golden decode < requests.jsonl")
	os.Exit(2)
}
