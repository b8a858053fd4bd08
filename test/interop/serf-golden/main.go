// Command serf-golden writes hearsay's serf message fixtures through serf's
// own encoder (see export_hearsay.go.txt and ../build-serf-golden.sh), and
// checks that each leave intent reads back through serf's decoder.
//
//	serf-golden > test/fixtures/serf/messages.json
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/serf/serf"
)

type fixture struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	LTime uint64 `json:"ltime"`
	Node  string `json:"node,omitempty"`
	Prune bool   `json:"prune,omitempty"`
	Hex   string `json:"hex"`
}

func must(b []byte, err error) []byte {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return b
}

func main() {
	ltimes := []uint64{0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 9007199254740991}
	nodes := []string{"hs-a", "", strings.Repeat("n", 31), strings.Repeat("n", 32), strings.Repeat("x", 300), "nœud-ü"}
	var out []fixture
	for _, lt := range ltimes {
		for _, prune := range []bool{false, true} {
			b := must(serf.HearsayEncodeLeave(lt, "hs-a", prune))
			out = append(out, fixture{fmt.Sprintf("leave ltime=%d prune=%v", lt, prune), "leave", lt, "hs-a", prune, hex.EncodeToString(b)})
		}
	}
	for _, n := range nodes {
		b := must(serf.HearsayEncodeLeave(42, n, false))
		out = append(out, fixture{fmt.Sprintf("leave node of %d bytes", len(n)), "leave", 42, n, false, hex.EncodeToString(b)})
	}
	for _, f := range out {
		raw, _ := hex.DecodeString(f.Hex)
		lt, node, prune, err := serf.HearsayDecodeLeave(raw)
		if err != nil || lt != f.LTime || node != f.Node || prune != f.Prune {
			fmt.Fprintf(os.Stderr, "%s: serf reads back %d %q %v %v\n", f.Name, lt, node, prune, err)
			os.Exit(1)
		}
	}
	for _, lt := range []uint64{0, 7, 300, 4294967296} {
		out = append(out, fixture{fmt.Sprintf("join ltime=%d", lt), "join", lt, "serf-1", false, hex.EncodeToString(must(serf.HearsayEncodeJoin(lt, "serf-1")))})
	}
	status := map[string]uint64{"serf-1": 3, "hs-a": 9, strings.Repeat("m", 40): 70000}
	for _, lt := range []uint64{1, 12, 200, 70000, 4294967296} {
		b := must(serf.HearsayEncodePushPull(lt, status, []string{"gone-1", "gone-2"}, lt+5, lt+9))
		out = append(out, fixture{fmt.Sprintf("push-pull ltime=%d", lt), "push-pull", lt, "", false, hex.EncodeToString(b)})
	}
	b := must(serf.HearsayEncodePushPull(5, map[string]uint64{}, []string{}, 0, 0))
	out = append(out, fixture{"push-pull empty", "push-pull", 5, "", false, hex.EncodeToString(b)})
	b = must(serf.HearsayEncodeUserEvent(99, "deploy", []byte("v2")))
	out = append(out, fixture{"user event (event clock)", "user-event", 99, "", false, hex.EncodeToString(b)})
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
