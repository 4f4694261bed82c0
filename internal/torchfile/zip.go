package torchfile

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"strings"
)

// decodeZip reads torch.save's zip format (PyTorch 1.6 and later). Every record sits under one
// top-level folder, the archive name (the stem of the file torch.save wrote, or "archive" when
// it wrote to a buffer):
//
//	archive/data.pkl    the pickled object; tensors name their storages by persistent ids
//	archive/data/0 ...  each storage's bytes, one record per storage key
//	archive/version     the format version ("3")
//	archive/byteorder   "little" or "big" (PyTorch 2.0 on; absent means little-endian)
//
// torch.save stores every record uncompressed (and 64-byte aligned, for mmap), so records are
// sliced out of data without copying. Compressed records are rejected rather than inflated: a
// few kilobytes of deflate can claim gigabytes.
func decodeZip(data []byte) (*File, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, invalidf("zip archive: %v (truncated?)", err)
	}
	if len(zr.File) == 0 {
		return nil, invalidf("empty zip archive")
	}
	prefix, _, ok := strings.Cut(zr.File[0].Name, "/")
	if !ok {
		return nil, invalidf("zip archive whose first record %q is not in a folder: not a torch.save file", zr.File[0].Name)
	}
	records := map[string]*zip.File{}
	for _, f := range zr.File {
		if rest, ok := strings.CutPrefix(f.Name, prefix+"/"); ok {
			records[rest] = f
		}
	}
	if records["constants.pkl"] != nil {
		return nil, invalidf("a TorchScript archive (torch.jit.save); save a state_dict with torch.save instead")
	}
	pickleRecord := records["data.pkl"]
	if pickleRecord == nil {
		return nil, invalidf("zip archive without %s/data.pkl: not a torch.save file", prefix)
	}
	pickle, err := recordBytes(data, pickleRecord)
	if err != nil {
		return nil, err
	}
	bigEndian := false
	if r := records["byteorder"]; r != nil {
		b, err := recordBytes(data, r)
		if err != nil {
			return nil, err
		}
		switch order := strings.TrimSpace(string(b)); order {
		case "little":
		case "big":
			bigEndian = true
		default:
			return nil, invalidf("%s: byte order %.20q is neither little nor big", r.Name, order)
		}
	}

	storages := map[string]*storage{}
	load := func(pid any) (any, error) {
		// ('storage', storage_type, key, location, numel).
		t, ok := pid.(pyTuple)
		if !ok || len(t) != 5 || t[0] != "storage" {
			return nil, fmt.Errorf("persistent id is %s, not ('storage', type, key, location, numel)", describe(pid))
		}
		dtype, key, numel, err := storageFields(t)
		if err != nil {
			return nil, err
		}
		if s, ok := storages[key]; ok {
			if s.dtype != dtype || s.numel != numel {
				return nil, fmt.Errorf("storage %q is used as %d elements of %s and as %d of %s", key, s.numel, s.dtype, numel, dtype)
			}
			return s, nil
		}
		r := records["data/"+key]
		if r == nil {
			return nil, fmt.Errorf("storage %q has no record %s/data/%s", key, prefix, key)
		}
		b, err := recordBytes(data, r)
		if err != nil {
			return nil, err
		}
		if size := int64(dtype.Size()); numel > int64(len(b))/size {
			return nil, fmt.Errorf("storage %q holds %d bytes, fewer than its %d elements of %s need (truncated?)", key, len(b), numel, dtype)
		}
		s := &storage{key: key, dtype: dtype, numel: numel, bigEndian: bigEndian, data: b[:numel*int64(dtype.Size())]}
		storages[key] = s
		return s, nil
	}
	obj, _, err := unpickle(pickle, prefix+"/data.pkl", load)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	return flatten(obj, len(pickle))
}

// recordBytes returns a stored (uncompressed) record's bytes, sliced from data, after checking
// its CRC-32 as a zip reader would.
func recordBytes(data []byte, f *zip.File) ([]byte, error) {
	if f.Method != zip.Store {
		return nil, invalidf("record %s is compressed (method %d); torch.save stores records uncompressed", f.Name, f.Method)
	}
	off, err := f.DataOffset()
	if err != nil {
		return nil, invalidf("record %s: %v", f.Name, err)
	}
	size := f.CompressedSize64
	if f.UncompressedSize64 != size || off < 0 || uint64(off) > uint64(len(data)) || size > uint64(len(data))-uint64(off) {
		return nil, invalidf("record %s of %d bytes at offset %d lies past the end of the %d-byte file (truncated?)", f.Name, size, off, len(data))
	}
	b := data[off : uint64(off)+size : uint64(off)+size]
	if crc32.ChecksumIEEE(b) != f.CRC32 {
		return nil, invalidf("record %s fails its CRC-32 check: the file is corrupt", f.Name)
	}
	return b, nil
}
