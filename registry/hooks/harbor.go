package hooks

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// harborPayload covers both of Harbor's webhook formats: the default one
// ({"type":"PUSH_ARTIFACT","event_data":{…}}) and the CloudEvents one
// ({"specversion":"1.0","id":…,"type":"harbor.artifact.pushed","data":{…}}),
// whose data has the default format's event_data shape.
type harborPayload struct {
	Type      string      `json:"type"`
	OccurAt   int64       `json:"occur_at"` // Unix seconds
	EventData *harborData `json:"event_data"`

	SpecVersion string      `json:"specversion"`
	ID          string      `json:"id"`
	Time        time.Time   `json:"time"`
	Data        *harborData `json:"data"`
}

type harborData struct {
	Resources []struct {
		Digest      string `json:"digest"`
		Tag         string `json:"tag"`
		ResourceURL string `json:"resource_url"`
	} `json:"resources"`
	Repository struct {
		Name         string `json:"name"`
		Namespace    string `json:"namespace"`
		RepoFullName string `json:"repo_full_name"`
	} `json:"repository"`
}

// Harbor event types, default and CloudEvents.
var harborPush = map[string]bool{"PUSH_ARTIFACT": true, "harbor.artifact.pushed": true}
var harborPull = map[string]bool{"PULL_ARTIFACT": true, "harbor.artifact.pulled": true}
var harborDelete = map[string]bool{"DELETE_ARTIFACT": true, "harbor.artifact.deleted": true}

// parseHarbor turns a Harbor payload into events. PUSH_ARTIFACT is a push of
// each tag it names; PULL_ARTIFACT is a pull of each artifact's digest,
// which Harbor reports as the manifest (or index) pulled, not a layer;
// DELETE_ARTIFACT is a delete of each artifact's digest. Other types
// (scans, quotas, replication) are none.
func parseHarbor(body []byte) ([]event, error) {
	var p harborPayload
	if err := decode(body, &p); err != nil {
		return nil, err
	}
	data := p.EventData
	if p.SpecVersion != "" {
		data = p.Data
	}
	if p.Type == "" {
		return nil, errors.New(`payload has no "type": /hooks/harbor takes Harbor webhook payloads; distribution sends to /hooks/distribution`)
	}
	push, pull, del := harborPush[p.Type], harborPull[p.Type], harborDelete[p.Type]
	if !push && !pull && !del {
		return nil, nil
	}
	if data == nil {
		return nil, fmt.Errorf("%s payload has no event data", p.Type)
	}
	repo := data.Repository.RepoFullName
	if repo == "" && data.Repository.Name != "" {
		repo = strings.TrimPrefix(data.Repository.Namespace+"/"+data.Repository.Name, "/")
	}
	if err := checkRepository(repo); err != nil {
		return nil, fmt.Errorf("%s payload: %w", p.Type, err)
	}
	at := p.Time
	if p.OccurAt > 0 {
		at = time.Unix(p.OccurAt, 0)
	}
	var out []event
	for i, r := range data.Resources {
		id := ""
		if p.ID != "" {
			id = fmt.Sprintf("harbor/%s/%d", p.ID, i)
		}
		switch {
		case del:
			// Deleting an artifact deletes its tags with it: report the
			// digest, and each version is checked again.
			if err := checkDigest(r.Digest); err != nil {
				return nil, fmt.Errorf("%s payload, resource %d: %w", p.Type, i, err)
			}
			out = append(out, event{id: id, delete: true, repository: repo, ref: r.Digest, at: at})
		case push && r.Tag == "":
			continue // pushed by digest: nothing to index until tagged
		case push:
			if err := checkTag(r.Tag); err != nil {
				return nil, fmt.Errorf("%s payload, resource %d: %w", p.Type, i, err)
			}
			out = append(out, event{id: id, push: true, repository: repo, ref: r.Tag, digest: r.Digest, at: at})
		default:
			if err := checkDigest(r.Digest); err != nil {
				return nil, fmt.Errorf("%s payload, resource %d: %w", p.Type, i, err)
			}
			out = append(out, event{id: id, repository: repo, ref: r.Digest, manifest: true})
		}
	}
	return out, nil
}
