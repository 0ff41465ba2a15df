package referrers

import "net/http"

// heldResponse holds back the status and (small) body of a manifest PUT or
// DELETE answer, so the fallback index is updated, and OCI-Subject added,
// before the client learns the outcome: a client that lists referrers right
// after its push must find them. Headers go straight to the real writer's
// map, which is not sent before flush.
type heldResponse struct {
	http.ResponseWriter
	code int
	body []byte
}

func (h *heldResponse) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}

func (h *heldResponse) Write(p []byte) (int, error) {
	if h.code == 0 {
		h.code = http.StatusOK
	}
	h.body = append(h.body, p...)
	return len(p), nil
}

// status is the code the wrapped handler answered with.
func (h *heldResponse) status() int {
	if h.code == 0 {
		return http.StatusOK
	}
	return h.code
}

func (h *heldResponse) flush() {
	h.ResponseWriter.WriteHeader(h.status())
	h.ResponseWriter.Write(h.body)
}
