package builder

import (
	"encoding/binary"
	"fmt"
	"io"
)

// The agent protocol's messages a step may send: list the keys and sign
// with one. Anything else (adding, removing, locking, extensions) is
// answered with a failure and never reaches the agent, as BuildKit does
// for forwarded sockets: a step must not change the caller's agent.
const (
	agentRequestIdentities = 11
	agentSignRequest       = 13
	agentFailure           = 5
	maxAgentMessage        = 256 << 10
)

// proxyReadOnly passes the step's requests on c to the agent on up, one at
// a time (the protocol is strictly request, then reply), and answers the
// ones that would change the agent itself.
func proxyReadOnly(c io.ReadWriter, up io.ReadWriter) error {
	for {
		req, err := readAgentMessage(c)
		if err != nil {
			return err
		}
		if req[0] != agentRequestIdentities && req[0] != agentSignRequest {
			if err := writeAgentMessage(c, []byte{agentFailure}); err != nil {
				return err
			}
			continue
		}
		if err := writeAgentMessage(up, req); err != nil {
			return err
		}
		rep, err := readAgentMessage(up)
		if err != nil {
			return err
		}
		if err := writeAgentMessage(c, rep); err != nil {
			return err
		}
	}
}

func readAgentMessage(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size == 0 || size > maxAgentMessage {
		return nil, fmt.Errorf("agent message of %d bytes", size)
	}
	msg := make([]byte, size)
	_, err := io.ReadFull(r, msg)
	return msg, err
}

func writeAgentMessage(w io.Writer, msg []byte) error {
	buf := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(msg)), uint32(len(msg)))
	_, err := w.Write(append(buf, msg...))
	return err
}
