package stats

import (
	"container/list"
	"sync"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// layerKey is a blob in a repository.
type layerKey struct{ repository, digest string }

// layerCache is a bounded LRU of Store.Layer answers, each with an expiry.
// A nil ref is a negative answer: the blob is no bundle layer.
type layerCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently used
	entries map[layerKey]*list.Element
	now     func() time.Time
}

type cacheEntry struct {
	key     layerKey
	ref     *catalog.LayerRef
	expires time.Time
}

func newLayerCache(max int, now func() time.Time) *layerCache {
	return &layerCache{max: max, order: list.New(), entries: make(map[layerKey]*list.Element), now: now}
}

// get returns a live answer; ok is false on a miss.
func (c *layerCache) get(k layerKey) (ref *catalog.LayerRef, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, k)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.ref, true
}

// put stores an answer for ttl, evicting the least recently used entry when
// full.
func (c *layerCache) put(k layerKey, ref *catalog.LayerRef, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	expires := c.now().Add(ttl)
	if el, ok := c.entries[k]; ok {
		e := el.Value.(*cacheEntry)
		e.ref, e.expires = ref, expires
		c.order.MoveToFront(el)
		return
	}
	c.entries[k] = c.order.PushFront(&cacheEntry{key: k, ref: ref, expires: expires})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
}

// forget drops every answer about a repository. It walks the whole cache,
// which is bounded and small, and it runs once per push, not per pull.
func (c *layerCache) forget(repository string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*cacheEntry); e.key.repository == repository {
			c.order.Remove(el)
			delete(c.entries, e.key)
		}
		el = next
	}
}

func (c *layerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
