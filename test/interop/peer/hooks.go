// Delegate hooks for test/interop/hooks.interop.test.ts: memberlist's
// Delegate.LocalState / MergeRemoteState and its PingDelegate, each call
// reported as an event. Off unless their flags are given, so every other test
// sees the peer exactly as before.
//
// Flags:
//
//	-state-hooks       LocalState returns the current user state (initially
//	                   -user-state; `state <hex>` replaces it) and reports
//	                   {"event":"local-state","join":b}; MergeRemoteState reports
//	                   {"event":"merge-state","join":b,"data":hex}
//	-user-state hex    the initial user state for -state-hooks
//	-ping-delegate     install a PingDelegate: NotifyPingComplete reports
//	                   {"event":"ping-complete","member":name,"rttMs":f,"payload":hex,"nil":b}
//	-ack-payload hex   with -ping-delegate: what AckPayload() returns (default nil)
//
// Command (stdin): state <hex> -> {"event":"state-set","data":hex}
package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

var (
	stateHooks    = flag.Bool("state-hooks", false, "report LocalState/MergeRemoteState and send -user-state as our push/pull user state")
	userStateHex  = flag.String("user-state", "", "initial push/pull user state (hex) for -state-hooks")
	pingDelegate  = flag.Bool("ping-delegate", false, "install a PingDelegate that reports NotifyPingComplete")
	ackPayloadHex = flag.String("ack-payload", "", "AckPayload() bytes (hex) for -ping-delegate; default nil")
)

var userState struct {
	sync.Mutex
	data []byte
}

// initHooks decodes the hook flags; call after flag.Parse.
func initHooks() error {
	b, err := hex.DecodeString(*userStateHex)
	if err != nil {
		return fmt.Errorf("bad -user-state: %v", err)
	}
	userState.data = b
	if _, err := hex.DecodeString(*ackPayloadHex); err != nil {
		return fmt.Errorf("bad -ack-payload: %v", err)
	}
	return nil
}

// hookLocalState is Delegate.LocalState: nil without -state-hooks.
func hookLocalState(join bool) []byte {
	if !*stateHooks {
		return nil
	}
	userState.Lock()
	out := append([]byte(nil), userState.data...)
	userState.Unlock()
	emit(map[string]interface{}{"event": "local-state", "join": join})
	return out
}

// hookMergeRemoteState is Delegate.MergeRemoteState: a no-op without -state-hooks.
func hookMergeRemoteState(buf []byte, join bool) {
	if !*stateHooks {
		return
	}
	emit(map[string]interface{}{"event": "merge-state", "join": join, "data": hex.EncodeToString(buf)})
}

// setUserState is the `state <hex>` command.
func setUserState(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("state needs one hex argument")
	}
	b, err := hex.DecodeString(args[0])
	if err != nil {
		return err
	}
	userState.Lock()
	userState.data = b
	userState.Unlock()
	emit(map[string]interface{}{"event": "state-set", "data": args[0]})
	return nil
}

type pingHooks struct{ payload []byte }

func (p pingHooks) AckPayload() []byte { return p.payload }

func (p pingHooks) NotifyPingComplete(other *memberlist.Node, rtt time.Duration, payload []byte) {
	emit(map[string]interface{}{
		"event":   "ping-complete",
		"member":  other.Name,
		"rttMs":   float64(rtt) / float64(time.Millisecond),
		"payload": hex.EncodeToString(payload),
		"nil":     payload == nil,
	})
}

// pingHooksFromFlags is the PingDelegate for -ping-delegate, or nil (an untyped
// nil interface, so memberlist sees no delegate at all).
func pingHooksFromFlags() memberlist.PingDelegate {
	if !*pingDelegate {
		return nil
	}
	var payload []byte // nil unless -ack-payload: Go's nil, as memberlist without a payload
	if *ackPayloadHex != "" {
		payload, _ = hex.DecodeString(*ackPayloadHex)
	}
	return pingHooks{payload: payload}
}
