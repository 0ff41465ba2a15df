package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decode unmarshals exactly one JSON value: trailing data means the payload
// is not what the sender meant to send.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf("payload field %q is a JSON %s, want %s", typeErr.Field, typeErr.Value, typeErr.Type)
		}
		return fmt.Errorf("payload is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("payload has data after its JSON value: send one JSON object")
	}
	return nil
}
