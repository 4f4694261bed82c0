package torchfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// pickleBuilder writes pickle opcodes by hand, so tests can craft what torch never writes:
// forbidden names, cycles, lies about sizes, old-torch and Python 2 spellings.
type pickleBuilder struct{ bytes.Buffer }

func (p *pickleBuilder) op(ops ...byte) *pickleBuilder {
	p.Write(ops)
	return p
}

func (p *pickleBuilder) proto(v byte) *pickleBuilder { return p.op(opProto, v) }

func (p *pickleBuilder) global(module, name string) *pickleBuilder {
	p.WriteByte(opGlobal)
	p.WriteString(module + "\n" + name + "\n")
	return p
}

// str writes BINUNICODE, as Python 3 pickles a str.
func (p *pickleBuilder) str(s string) *pickleBuilder {
	p.WriteByte(opBinUnicode)
	p.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(s))))
	p.WriteString(s)
	return p
}

// int writes BININT (4 bytes), or LONG1 with 8 bytes for larger values.
func (p *pickleBuilder) int(v int64) *pickleBuilder {
	if v >= -1<<31 && v < 1<<31 {
		p.WriteByte(opBinInt)
		p.Write(binary.LittleEndian.AppendUint32(nil, uint32(int32(v))))
		return p
	}
	p.op(opLong1, 8)
	p.Write(binary.LittleEndian.AppendUint64(nil, uint64(v)))
	return p
}

// ints writes a tuple of ints (a torch.Size or a stride).
func (p *pickleBuilder) ints(vs ...int64) *pickleBuilder {
	p.op(opMark)
	for _, v := range vs {
		p.int(v)
	}
	return p.op(opTuple)
}

// storagePID pushes a zip-format storage: persistent id ('storage', torch.<class>, key, 'cpu', numel).
func (p *pickleBuilder) storagePID(class, key string, numel int64) *pickleBuilder {
	p.op(opMark).str("storage").global("torch", class).str(key).str("cpu").int(numel).op(opTuple)
	return p.op(opBinPersID)
}

// legacyStoragePID is storagePID with the legacy format's sixth item, the view (None here).
func (p *pickleBuilder) legacyStoragePID(class, key string, numel int64) *pickleBuilder {
	p.op(opMark).str("storage").global("torch", class).str(key).str("cpu").int(numel).op(opNone, opTuple)
	return p.op(opBinPersID)
}

// tensorV2 writes _rebuild_tensor_v2(<storage pushed by pushStorage>, offset, size, stride,
// False, OrderedDict()).
func (p *pickleBuilder) tensorV2(pushStorage func(*pickleBuilder), offset int64, size, stride []int64) *pickleBuilder {
	p.global("torch._utils", "_rebuild_tensor_v2").op(opMark)
	pushStorage(p)
	p.int(offset).ints(size...).ints(stride...).op(opNewFalse)
	p.global("collections", "OrderedDict").op(opEmptyTuple, opReduce)
	return p.op(opTuple, opReduce)
}

// stateDict writes OrderedDict() and SETITEMS of the key-value pairs pushEntries pushes.
func (p *pickleBuilder) stateDict(pushEntries func(*pickleBuilder)) *pickleBuilder {
	p.global("collections", "OrderedDict").op(opEmptyTuple, opReduce, opMark)
	pushEntries(p)
	return p.op(opSetItems)
}

func (p *pickleBuilder) stop() []byte {
	p.WriteByte(opStop)
	return p.Bytes()
}

// legacyFile assembles a legacy torch.save file around an object pickle: the magic number,
// protocol and system info pickles, then the keys pickle and each storage (count and bytes,
// in the given order).
func legacyFile(t testing.TB, object []byte, littleEndian bool, storages ...legacyStorage) []byte {
	t.Helper()
	var out bytes.Buffer
	out.Write(legacyPrefix)
	out.WriteByte(opStop)
	var p pickleBuilder
	out.Write(p.proto(2).int(legacyProtocol).stop())
	p.Reset()
	p.proto(2).op(opEmptyDict, opMark).str("protocol_version").int(legacyProtocol).str("little_endian")
	if littleEndian {
		p.op(opNewTrue)
	} else {
		p.op(opNewFalse)
	}
	out.Write(p.op(opSetItems).stop())
	out.Write(object)
	p.Reset()
	p.proto(2).op(opEmptyList, opMark)
	for _, s := range storages {
		p.str(s.key)
	}
	out.Write(p.op(opAppends).stop())
	for _, s := range storages {
		var n [8]byte
		if littleEndian {
			binary.LittleEndian.PutUint64(n[:], uint64(s.numel))
		} else {
			binary.BigEndian.PutUint64(n[:], uint64(s.numel))
		}
		out.Write(n[:])
		out.Write(s.data)
	}
	return out.Bytes()
}

type legacyStorage struct {
	key   string
	numel int64
	data  []byte
}

// zipFile assembles a zip-format file from records (name -> bytes, in order), stored
// uncompressed as torch.save stores them.
func zipFile(t testing.TB, records ...zipRecord) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range records {
		method := zip.Store
		if r.deflate {
			method = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: r.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(r.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zipRecord struct {
	name    string
	data    []byte
	deflate bool
}

func float32Bytes(vs ...float32) []byte {
	var out []byte
	for _, v := range vs {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}
