package torchfile

import (
	"encoding/binary"
	"fmt"
	"math/big"
)

// legacyMagic and legacyProtocol open every file of torch.save's legacy format.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

const legacyProtocol = 1001

// decodeLegacy reads torch.save's format before PyTorch 1.6 (and after it with
// _use_new_zipfile_serialization=False): five pickles back to back,
//
//	the magic number 0x1950a86a20f9469cfc6c
//	the protocol version 1001
//	the system info: {"protocol_version": 1001, "little_endian": True, "type_sizes": {...}}
//	the object, whose tensors name their storages by persistent ids
//	the sorted list of storage keys
//
// and then, for each key in that order, the storage's element count as an 8-byte integer and
// its bytes, both in the byte order the system info gives.
func decodeLegacy(data []byte) (*File, error) {
	pos := 0
	next := func(what string, load func(any) (any, error)) (any, error) {
		v, n, err := unpickle(data[pos:], what, load)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		pos += n
		return v, nil
	}

	magic, err := next("the magic number pickle", nil)
	if err != nil {
		return nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, &invalidError{msg: "a pickle without torch's magic number: not a torch.save file", foreign: true}
	}
	protocol, err := next("the protocol version pickle", nil)
	if err != nil {
		return nil, err
	}
	if protocol != int64(legacyProtocol) {
		return nil, invalidf("legacy protocol version is %s, not %d", describeInt(protocol), legacyProtocol)
	}
	info, err := next("the system info pickle", nil)
	if err != nil {
		return nil, err
	}
	bigEndian, err := legacyByteOrder(info)
	if err != nil {
		return nil, err
	}

	// Storages by key. A persistent id may also name a view of a root storage (torch 0.3 and
	// older kept storage views); its bytes are a slice of the root's, taken once the roots are
	// read.
	roots := map[string]*storage{}
	type view struct {
		s            *storage
		root         *storage
		offset, size int64
	}
	views := map[string]view{}
	load := func(pid any) (any, error) {
		// ('storage', storage_type, root_key, location, numel, view_metadata), where
		// view_metadata is None or (view_key, offset, size), in elements.
		t, ok := pid.(pyTuple)
		if !ok || len(t) != 6 || t[0] != "storage" {
			return nil, fmt.Errorf("persistent id is %s, not ('storage', type, key, location, numel, view)", describe(pid))
		}
		dtype, key, numel, err := storageFields(t)
		if err != nil {
			return nil, err
		}
		// The bytes come after the pickles: a storage cannot be larger than the whole file.
		if numel > int64(len(data))/int64(dtype.Size()) {
			return nil, fmt.Errorf("storage %q claims %d elements of %s, more than the %d-byte file holds", key, numel, dtype, len(data))
		}
		root, ok := roots[key]
		if !ok {
			root = &storage{key: key, dtype: dtype, numel: numel, bigEndian: bigEndian}
			roots[key] = root
		} else if root.dtype != dtype || root.numel != numel {
			return nil, fmt.Errorf("storage %q is used as %d elements of %s and as %d of %s", key, root.numel, root.dtype, numel, dtype)
		}
		if _, isNone := t[5].(pyNone); isNone {
			return root, nil
		}
		meta, ok := t[5].(pyTuple)
		if !ok || len(meta) != 3 {
			return nil, fmt.Errorf("storage %q view is %s, not None or (key, offset, size)", key, describe(t[5]))
		}
		viewKey, ok1 := meta[0].(string)
		offset, ok2 := meta[1].(int64)
		size, ok3 := meta[2].(int64)
		if !ok1 || !ok2 || !ok3 || offset < 0 || size < 0 || offset > numel || size > numel-offset {
			return nil, fmt.Errorf("storage %q view (%s, %s, %s) is not a (key, offset, size) inside its %d elements", key, describe(meta[0]), describe(meta[1]), describe(meta[2]), numel)
		}
		if v, ok := views[viewKey]; ok {
			if v.root != root || v.offset != offset || v.size != size {
				return nil, fmt.Errorf("storage view %q is declared twice, differently", viewKey)
			}
			return v.s, nil
		}
		s := &storage{key: viewKey, dtype: dtype, numel: size, bigEndian: bigEndian}
		views[viewKey] = view{s: s, root: root, offset: offset, size: size}
		return s, nil
	}
	obj, err := next("the object pickle", load)
	if err != nil {
		return nil, err
	}
	pickleSize := pos
	keysValue, err := next("the storage keys pickle", nil)
	if err != nil {
		return nil, err
	}
	keys, ok := sequence(keysValue)
	if !ok {
		return nil, invalidf("the storage keys pickle holds %s, not a list", describe(keysValue))
	}

	order := binary.ByteOrder(binary.LittleEndian)
	if bigEndian {
		order = binary.BigEndian
	}
	for _, k := range keys {
		key, ok := k.(string)
		if !ok {
			return nil, invalidf("a storage key is %s, not a str", describe(k))
		}
		s := roots[key]
		if s == nil {
			return nil, invalidf("storage key %q is listed but no tensor uses it", key)
		}
		if s.data != nil {
			return nil, invalidf("storage key %q is listed twice", key)
		}
		if len(data)-pos < 8 {
			return nil, invalidf("the file ends before storage %q (truncated?)", key)
		}
		if n := int64(order.Uint64(data[pos:])); n != s.numel {
			return nil, invalidf("storage %q holds %d elements, but its tensors were saved with %d", key, n, s.numel)
		}
		pos += 8
		size := int(s.numel) * s.dtype.Size() // s.numel·size <= len(data), checked in load
		if len(data)-pos < size {
			return nil, invalidf("storage %q needs %d bytes, but the file has %d left (truncated?)", key, size, len(data)-pos)
		}
		s.data = data[pos : pos+size : pos+size]
		pos += size
	}
	for key, s := range roots {
		if s.data == nil {
			return nil, invalidf("storage %q is used by a tensor but missing from the storage keys", key)
		}
	}
	for _, v := range views {
		es := int64(v.root.dtype.Size())
		v.s.data = v.root.data[v.offset*es : (v.offset+v.size)*es]
	}
	return flatten(obj, pickleSize)
}

// legacyByteOrder reads the system info dict. Its "little_endian" says the byte order of the
// storages (and of their element counts); "type_sizes" is about C types that the format's
// storages no longer depend on.
func legacyByteOrder(info any) (bigEndian bool, err error) {
	d, ok := info.(*pyDict)
	if !ok {
		return false, invalidf("the system info pickle holds %s, not a dict", describe(info))
	}
	v, ok := d.get("little_endian")
	little, isBool := v.(bool)
	if !ok || !isBool {
		return false, invalidf("the system info has no little_endian bool")
	}
	return !little, nil
}

func describeInt(v any) string {
	if n, ok := v.(int64); ok {
		return fmt.Sprint(n)
	}
	return describe(v)
}
