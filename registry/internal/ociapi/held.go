package ociapi

import "net/http"

// Held holds back the status and (small) body of a registry's answer to a
// manifest PUT or DELETE, so that mpakd acts on the outcome (indexes the
// version, lists the referrer) before the client learns it: a client that
// searches or lists referrers right after its push must find it. Headers go
// straight to the real writer's map, which is not sent before Flush.
type Held struct {
	http.ResponseWriter
	code int
	body []byte
}

// Hold wraps w.
func Hold(w http.ResponseWriter) *Held { return &Held{ResponseWriter: w} }

func (h *Held) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}

func (h *Held) Write(p []byte) (int, error) {
	if h.code == 0 {
		h.code = http.StatusOK
	}
	h.body = append(h.body, p...)
	return len(p), nil
}

// Status is the code the wrapped handler answered with.
func (h *Held) Status() int {
	if h.code == 0 {
		return http.StatusOK
	}
	return h.code
}

// Send sends the held answer. (Held has no Flush: a handler that flushes
// as it writes, such as a reverse proxy, must not release the answer
// early.)
func (h *Held) Send() {
	h.ResponseWriter.WriteHeader(h.Status())
	h.ResponseWriter.Write(h.body)
}

// Body is the held body.
func (h *Held) Body() []byte { return h.body }
