package torchfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is a restricted unpickler: a stack machine for Python's pickle opcodes (protocols 0
// to 5) that builds plain Go values and never runs anything. Python's own unpickler calls any
// importable function a pickle names (os.system, builtins.eval); this one knows a handful of
// names (see globals.go) and rejects every other one when the pickle first mentions it.
//
// Python values map to Go values as follows:
//
//	None -> pyNone{}         bool -> bool           int -> int64, or *big.Int when wider
//	float -> float64         str -> string          bytes, bytearray -> []byte
//	tuple -> pyTuple         list, set -> *pyList    dict, OrderedDict -> *pyDict
//
// plus *pyGlobal for an allowed name and whatever the format's persistent_load and the allowed
// callables return (*storage, *tensorView).
//
// Every container is built from values already on the stack, each push consumes at least one
// byte of the pickle, and every length read from the pickle is checked against the bytes left,
// so the unpickler's memory stays proportional to the pickle's size whatever it contains.

type pyNone struct{}

type pyTuple []any

// pyList is a pointer type because a list can be appended to after it was memoized, and can
// then contain itself (a cycle); code walking values must bound its depth.
type pyList struct{ items []any }

// pyDict keeps insertion order (a state dict's order is the model's parameter order). index
// finds keys that Go can compare (strings and numbers), so a repeated key replaces its value,
// as in Python.
type pyDict struct {
	keys   []any
	values []any
	index  map[any]int
}

func newDict() *pyDict { return &pyDict{index: map[any]int{}} }

func (d *pyDict) set(k, v any) {
	switch k.(type) {
	case string, int64, float64, bool, pyNone:
		if i, ok := d.index[k]; ok {
			d.values[i] = v
			return
		}
		d.index[k] = len(d.keys)
	}
	d.keys = append(d.keys, k)
	d.values = append(d.values, v)
}

// get returns the value of a string key.
func (d *pyDict) get(k string) (any, bool) {
	i, ok := d.index[k]
	if !ok {
		return nil, false
	}
	return d.values[i], true
}

// pyGlobal is a name the pickle imported with GLOBAL, STACK_GLOBAL or INST, after the allow
// list (globals.go) accepted it.
type pyGlobal struct{ module, name string }

func (g *pyGlobal) String() string { return g.module + "." + g.name }

// maxLongDigits caps the decimal digits of a protocol 0 integer, as Python's
// sys.int_info.default_max_str_digits does (4300), because decimal parsing is superlinear.
const maxLongDigits = 4300

// unpickler holds the machine's state for one pickle.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int // stack lengths at each MARK
	memo  map[uint64]any
	// persistentLoad resolves PERSID and BINPERSID ids (the storages of a torch file).
	persistentLoad func(pid any) (any, error)
	// what names the pickle in errors ("data.pkl", "the object pickle").
	what string
}

// unpickle runs the pickle at the start of data and returns its value and its length in bytes
// (a legacy torch file holds several pickles back to back).
func unpickle(data []byte, what string, persistentLoad func(any) (any, error)) (any, int, error) {
	u := &unpickler{data: data, memo: map[uint64]any{}, persistentLoad: persistentLoad, what: what}
	v, err := u.run()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", what, err)
	}
	return v, u.pos, nil
}

func (u *unpickler) run() (any, error) {
	for {
		if u.pos >= len(u.data) {
			return nil, errTruncated
		}
		op := u.data[u.pos]
		u.pos++
		if op == opStop {
			if len(u.stack) != 1 || len(u.marks) != 0 {
				return nil, fmt.Errorf("STOP with %d values and %d marks on the stack, want 1 and 0", len(u.stack), len(u.marks))
			}
			return u.stack[0], nil
		}
		if err := u.step(op); err != nil {
			return nil, fmt.Errorf("opcode %s at byte %d: %w", opName(op), u.pos-1, err)
		}
	}
}

// errTruncated is returned when a pickle ends before its STOP opcode or inside an argument.
var errTruncated = fmt.Errorf("pickle ends early: truncated file?")

// The opcodes, with the protocol that introduced them. Names are Python's (pickletools).
const (
	opMark           = '(' // 0
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opDup            = '2'
	opFloat          = 'F'
	opInt            = 'I'
	opLong           = 'L'
	opNone           = 'N'
	opPersID         = 'P'
	opReduce         = 'R'
	opString         = 'S'
	opUnicode        = 'V'
	opAppend         = 'a'
	opBuild          = 'b'
	opGlobal         = 'c'
	opDict           = 'd'
	opGet            = 'g'
	opInst           = 'i'
	opList           = 'l'
	opPut            = 'p'
	opSetItem        = 's'
	opTuple          = 't'
	opBinInt         = 'J' // 1
	opBinInt1        = 'K'
	opBinInt2        = 'M'
	opBinPersID      = 'Q'
	opBinString      = 'T'
	opShortBinString = 'U'
	opBinUnicode     = 'X'
	opEmptyDict      = '}'
	opAppends        = 'e'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opEmptyList      = ']'
	opObj            = 'o'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opSetItems       = 'u'
	opBinFloat       = 'G'
	opEmptyTuple     = ')'
	opProto          = 0x80 // 2
	opNewObj         = 0x81
	opExt1           = 0x82
	opExt2           = 0x83
	opExt4           = 0x84
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opLong4          = 0x8b
	opBinBytes       = 'B' // 3
	opShortBinBytes  = 'C'
	opShortBinUni    = 0x8c // 4
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opEmptySet       = 0x8f
	opAddItems       = 0x90
	opFrozenSet      = 0x91
	opNewObjEx       = 0x92
	opStackGlobal    = 0x93
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96 // 5
	opNextBuffer     = 0x97
	opReadOnlyBuffer = 0x98
)

func opName(op byte) string {
	if op >= ' ' && op < 0x7f {
		return fmt.Sprintf("%q", op)
	}
	return fmt.Sprintf("0x%02x", op)
}

func (u *unpickler) step(op byte) error {
	switch op {
	// Stack and memo.
	case opMark:
		u.marks = append(u.marks, len(u.stack))
	case opPop:
		if len(u.marks) > 0 && u.marks[len(u.marks)-1] == len(u.stack) {
			u.marks = u.marks[:len(u.marks)-1] // popping a mark, as Python 3.x does
			return nil
		}
		_, err := u.pop()
		return err
	case opPopMark:
		_, err := u.popMark()
		return err
	case opDup:
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)
	case opPut:
		i, err := u.readMemoIndex()
		if err != nil {
			return err
		}
		return u.put(i)
	case opBinPut:
		i, err := u.readUint(1)
		if err != nil {
			return err
		}
		return u.put(i)
	case opLongBinPut:
		i, err := u.readUint(4)
		if err != nil {
			return err
		}
		return u.put(i)
	case opMemoize:
		return u.put(uint64(len(u.memo)))
	case opGet:
		i, err := u.readMemoIndex()
		if err != nil {
			return err
		}
		return u.get(i)
	case opBinGet:
		i, err := u.readUint(1)
		if err != nil {
			return err
		}
		return u.get(i)
	case opLongBinGet:
		i, err := u.readUint(4)
		if err != nil {
			return err
		}
		return u.get(i)

	// Framing (protocol 4): a hint for buffered readers; the data is in memory already.
	case opProto:
		b, err := u.read(1)
		if err != nil {
			return err
		}
		if b[0] > 5 {
			return fmt.Errorf("pickle protocol %d is newer than 5", b[0])
		}
	case opFrame:
		b, err := u.read(8)
		if err != nil {
			return err
		}
		if n := binary.LittleEndian.Uint64(b); n > uint64(len(u.data)-u.pos) {
			return fmt.Errorf("frame of %d bytes with %d left: %w", n, len(u.data)-u.pos, errTruncated)
		}

	// Constants and numbers.
	case opNone:
		u.push(pyNone{})
	case opNewTrue:
		u.push(true)
	case opNewFalse:
		u.push(false)
	case opInt:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		switch line { // protocol 0 spells booleans as INT 01 and 00
		case "01":
			u.push(true)
			return nil
		case "00":
			u.push(false)
			return nil
		}
		return u.pushDecimal(line)
	case opLong:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		return u.pushDecimal(strings.TrimSuffix(line, "L"))
	case opBinInt:
		v, err := u.readUint(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(v))) // the only signed one of the three
	case opBinInt1:
		v, err := u.readUint(1)
		if err != nil {
			return err
		}
		u.push(int64(v))
	case opBinInt2:
		v, err := u.readUint(2)
		if err != nil {
			return err
		}
		u.push(int64(v))
	case opLong1:
		n, err := u.readUint(1)
		if err != nil {
			return err
		}
		return u.pushLong(int(n))
	case opLong4:
		v, err := u.readUint(4)
		if err != nil {
			return err
		}
		n := int32(v)
		if n < 0 {
			return fmt.Errorf("negative length %d", n)
		}
		return u.pushLong(int(n))
	case opFloat:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(line, 64)
		if err != nil {
			return fmt.Errorf("bad float %q", line)
		}
		u.push(f)
	case opBinFloat:
		b, err := u.read(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b))) // big-endian, unlike the rest

	// Strings and bytes. Python 2's str (STRING, BINSTRING) is read as text, as torch.load does
	// with encoding="utf-8" (torch.load's default), so keys pickled by Python 2 are strings.
	case opString:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		s, err := unquotePython(line)
		if err != nil {
			return err
		}
		u.push(s)
	case opUnicode:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		s, err := decodeRawUnicodeEscape(line)
		if err != nil {
			return err
		}
		u.push(s)
	case opShortBinString, opShortBinUni:
		return u.pushBytes(1, true)
	case opBinString, opBinUnicode:
		return u.pushBytes(4, true)
	case opBinUnicode8:
		return u.pushBytes(8, true)
	case opShortBinBytes:
		return u.pushBytes(1, false)
	case opBinBytes:
		return u.pushBytes(4, false)
	case opBinBytes8, opByteArray8:
		return u.pushBytes(8, false)

	// Containers.
	case opEmptyTuple:
		u.push(pyTuple{})
	case opTuple:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pyTuple(items))
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if len(u.stack)-u.floor() < n {
			return fmt.Errorf("needs %d values on the stack", n)
		}
		items := append(pyTuple(nil), u.stack[len(u.stack)-n:]...)
		u.stack = u.stack[:len(u.stack)-n]
		u.push(items)
	case opEmptyList, opEmptySet: // a set is read as a list (see the table above)
		u.push(&pyList{})
	case opList, opFrozenSet:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: items})
	case opAppend:
		v, err := u.pop()
		if err != nil {
			return err
		}
		return u.appendTo([]any{v})
	case opAppends, opAddItems:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.appendTo(items)
	case opEmptyDict:
		u.push(newDict())
	case opDict:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := newDict()
		if err := setItems(d, items); err != nil {
			return err
		}
		u.push(d)
	case opSetItem:
		if len(u.stack)-u.floor() < 3 {
			return fmt.Errorf("needs a dict, a key and a value on the stack")
		}
		items := u.stack[len(u.stack)-2:]
		u.stack = u.stack[:len(u.stack)-2]
		return u.setItemsOnTop(items)
	case opSetItems:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.setItemsOnTop(items)

	// Names, calls and objects: the only place a pickle could run code, so every name goes
	// through the allow list in globals.go.
	case opGlobal:
		g, err := u.readGlobal()
		if err != nil {
			return err
		}
		u.push(g)
	case opStackGlobal:
		name, err := u.pop()
		if err != nil {
			return err
		}
		module, err := u.pop()
		if err != nil {
			return err
		}
		m, ok1 := module.(string)
		n, ok2 := name.(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("module and name must be strings, got %s and %s", describe(module), describe(name))
		}
		g, err := lookupGlobal(m, n)
		if err != nil {
			return err
		}
		u.push(g)
	case opInst:
		g, err := u.readGlobal()
		if err != nil {
			return err
		}
		args, err := u.popMark()
		if err != nil {
			return err
		}
		return u.call(g, args)
	case opObj:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return fmt.Errorf("needs a class")
		}
		return u.call(items[0], items[1:])
	case opReduce, opNewObj: // callable, args; NEWOBJ's callable is a class
		args, err := u.pop()
		if err != nil {
			return err
		}
		f, err := u.pop()
		if err != nil {
			return err
		}
		t, ok := args.(pyTuple)
		if !ok {
			return fmt.Errorf("arguments must be a tuple, got %s", describe(args))
		}
		return u.call(f, t)
	case opNewObjEx:
		kwargs, err := u.pop()
		if err != nil {
			return err
		}
		args, err := u.pop()
		if err != nil {
			return err
		}
		cls, err := u.pop()
		if err != nil {
			return err
		}
		t, ok := args.(pyTuple)
		if d, isDict := kwargs.(*pyDict); !ok || !isDict || len(d.keys) != 0 {
			return fmt.Errorf("only positional arguments are supported, got %s and %s", describe(args), describe(kwargs))
		}
		return u.call(cls, t)
	case opBuild:
		state, err := u.pop()
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		return build(obj, state)
	case opPersID:
		line, err := u.readLine()
		if err != nil {
			return err
		}
		return u.persistent(line)
	case opBinPersID:
		pid, err := u.pop()
		if err != nil {
			return err
		}
		return u.persistent(pid)
	case opExt1, opExt2, opExt4:
		return fmt.Errorf("the extension registry (copyreg) is not supported")
	case opNextBuffer, opReadOnlyBuffer:
		return fmt.Errorf("out-of-band buffers are not supported")
	default:
		return fmt.Errorf("unknown opcode: not a pickle, or a corrupt one")
	}
	return nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

// floor is the stack length at the innermost MARK: values under it belong to an enclosing
// MARK, so an opcode that is not a MARK opcode may not pop them.
func (u *unpickler) floor() int {
	if len(u.marks) == 0 {
		return 0
	}
	return u.marks[len(u.marks)-1]
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) <= u.floor() {
		return nil, fmt.Errorf("stack is empty")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) <= u.floor() {
		return nil, fmt.Errorf("stack is empty")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark pops the values above the innermost MARK, and the MARK.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, fmt.Errorf("no MARK on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) put(i uint64) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	u.memo[i] = v
	return nil
}

func (u *unpickler) get(i uint64) error {
	v, ok := u.memo[i]
	if !ok {
		return fmt.Errorf("memo index %d was never stored", i)
	}
	u.push(v)
	return nil
}

// read returns the next n bytes, checking n against what is left before slicing.
func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || n > len(u.data)-u.pos {
		return nil, errTruncated
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

// readLine returns the text up to the next newline (protocol 0's arguments), without it.
func (u *unpickler) readLine() (string, error) {
	i := bytes.IndexByte(u.data[u.pos:], '\n')
	if i < 0 {
		return "", errTruncated
	}
	line := string(u.data[u.pos : u.pos+i])
	u.pos += i + 1
	return line, nil
}

// readUint reads an unsigned little-endian integer of size bytes (1, 2, 4 or 8): the
// arguments of the binary opcodes.
func (u *unpickler) readUint(size int) (uint64, error) {
	b, err := u.read(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	default:
		return binary.LittleEndian.Uint64(b), nil
	}
}

// readMemoIndex reads the decimal memo index of protocol 0's PUT and GET.
func (u *unpickler) readMemoIndex() (uint64, error) {
	line, err := u.readLine()
	if err != nil {
		return 0, err
	}
	i, err := strconv.ParseUint(line, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad memo index %q", line)
	}
	return i, nil
}

// readGlobal reads the module and name lines of GLOBAL and INST and looks them up in the
// allow list.
func (u *unpickler) readGlobal() (*pyGlobal, error) {
	module, err := u.readLine()
	if err != nil {
		return nil, err
	}
	name, err := u.readLine()
	if err != nil {
		return nil, err
	}
	return lookupGlobal(module, name)
}

// pushBytes reads a length of lenSize bytes and that many bytes of text or binary data.
func (u *unpickler) pushBytes(lenSize int, text bool) error {
	n, err := u.readUint(lenSize)
	if err != nil {
		return err
	}
	if n > uint64(len(u.data)-u.pos) {
		return fmt.Errorf("%d bytes with %d left: %w", n, len(u.data)-u.pos, errTruncated)
	}
	payload, _ := u.read(int(n))
	if text {
		u.push(string(payload))
	} else {
		u.push(append([]byte(nil), payload...))
	}
	return nil
}

// pushLong reads an n-byte little-endian two's-complement integer (LONG1, LONG4).
func (u *unpickler) pushLong(n int) error {
	b, err := u.read(n)
	if err != nil {
		return err
	}
	if n <= 8 {
		var v int64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | int64(b[i])
		}
		if n > 0 && n < 8 && b[n-1]&0x80 != 0 {
			v -= 1 << (8 * n) // sign-extend
		}
		u.push(v)
		return nil
	}
	be := make([]byte, n)
	for i := range b {
		be[n-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[n-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	u.push(normalizeInt(v))
	return nil
}

func (u *unpickler) pushDecimal(s string) error {
	if len(s) > maxLongDigits {
		return fmt.Errorf("integer of %d digits exceeds the limit of %d", len(s), maxLongDigits)
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return fmt.Errorf("bad integer %q", s)
	}
	u.push(normalizeInt(v))
	return nil
}

// normalizeInt returns v as an int64 when it fits, so that callers see one integer type.
func normalizeInt(v *big.Int) any {
	if v.IsInt64() {
		return v.Int64()
	}
	return v
}

func (u *unpickler) appendTo(items []any) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	l, ok := v.(*pyList)
	if !ok {
		return fmt.Errorf("appends to %s, not a list", describe(v))
	}
	l.items = append(l.items, items...)
	return nil
}

func (u *unpickler) setItemsOnTop(items []any) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	d, ok := v.(*pyDict)
	if !ok {
		return fmt.Errorf("sets items of %s, not a dict", describe(v))
	}
	return setItems(d, items)
}

func setItems(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return fmt.Errorf("odd number of values (%d) for key-value pairs", len(items))
	}
	for i := 0; i < len(items); i += 2 {
		d.set(items[i], items[i+1])
	}
	return nil
}

func (u *unpickler) persistent(pid any) error {
	if u.persistentLoad == nil {
		return fmt.Errorf("a persistent id where none belongs")
	}
	v, err := u.persistentLoad(pid)
	if err != nil {
		return err
	}
	u.push(v)
	return nil
}

func (u *unpickler) call(f any, args []any) error {
	g, ok := f.(*pyGlobal)
	if !ok {
		return fmt.Errorf("calls %s, not a known function", describe(f))
	}
	v, err := callGlobal(g, args)
	if err != nil {
		return err
	}
	u.push(v)
	return nil
}

// describe names a value's Python type for error messages. It never formats the value itself,
// which may be huge or contain itself.
func describe(v any) string {
	switch v := v.(type) {
	case pyNone:
		return "None"
	case bool:
		return "a bool"
	case int64, *big.Int:
		return "an int"
	case float64:
		return "a float"
	case string:
		return "a str"
	case []byte:
		return "bytes"
	case pyTuple:
		return fmt.Sprintf("a tuple of %d", len(v))
	case *pyList:
		return fmt.Sprintf("a list of %d", len(v.items))
	case *pyDict:
		return fmt.Sprintf("a dict of %d", len(v.keys))
	case *pyGlobal:
		return v.String()
	case *storage:
		return "a storage"
	case *tensorView:
		return "a tensor"
	}
	return fmt.Sprintf("%T", v)
}

// unquotePython decodes protocol 0's STRING argument, a Python 2 str repr such as 'a\'b' or
// "it's": the quotes, then backslash escapes.
func unquotePython(s string) (string, error) {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return "", fmt.Errorf("STRING argument %.40q is not quoted", s)
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("STRING argument ends in a backslash")
		}
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'x':
			if i+2 >= len(s) {
				return "", fmt.Errorf("STRING argument has a short \\x escape")
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf("STRING argument has a bad \\x escape")
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", fmt.Errorf("STRING argument has an unsupported escape \\%c", c)
		}
	}
	return b.String(), nil
}

// decodeRawUnicodeEscape decodes protocol 0's UNICODE argument: Latin-1 text in which only
// \uXXXX and \UXXXXXXXX are escapes (Python's raw-unicode-escape codec).
func decodeRawUnicodeEscape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n > len(s) {
				return "", fmt.Errorf("UNICODE argument has a short \\%c escape", s[i+1])
			}
			v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
			if err != nil || v > utf8.MaxRune {
				return "", fmt.Errorf("UNICODE argument has a bad \\%c escape", s[i+1])
			}
			b.WriteRune(rune(v))
			i += 1 + n
			continue
		}
		b.WriteRune(rune(c)) // Latin-1: each byte is the code point of the same value
	}
	return b.String(), nil
}
