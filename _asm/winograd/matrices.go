package main

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"log"
)

// matrix mirrors internal/winograd's matrix: a named constant row-major matrix.
type matrix struct {
	name       string
	rows, cols int
	v          []float32
}

// readMatrices type-checks the Go file that defines the transform matrices and returns every
// &matrix{name: ..., rows: ..., cols: ..., v: []float32{...}} literal in it, with the
// transposes that newTransforms derives from them (gradOutput = outputᵀ, gradFilter = filterᵀ),
// so that the tables are written down once, in the package that documents them. The values
// are the compiler's: go/types evaluates constant expressions such as -1.0 / 6 exactly, and
// they are rounded to float32 as the Go compiler rounds them.
func readMatrices(path string) []*matrix {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		log.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: importer.Default()}
	if _, err := conf.Check("winograd", fset, []*ast.File{file}, info); err != nil {
		log.Fatal(err)
	}
	var out []*matrix
	ast.Inspect(file, func(node ast.Node) bool {
		lit, ok := node.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "matrix" {
			return true
		}
		m := &matrix{}
		for _, e := range lit.Elts {
			kv := e.(*ast.KeyValueExpr)
			if kv.Key.(*ast.Ident).Name != "v" && info.Types[kv.Value].Value == nil {
				return true // a matrix built at run time (transposed), not a table
			}
			switch key := kv.Key.(*ast.Ident).Name; key {
			case "name":
				m.name = constant.StringVal(info.Types[kv.Value].Value)
			case "rows", "cols":
				n, _ := constant.Int64Val(info.Types[kv.Value].Value)
				if key == "rows" {
					m.rows = int(n)
				} else {
					m.cols = int(n)
				}
			case "v":
				for _, x := range kv.Value.(*ast.CompositeLit).Elts {
					f, _ := constant.Float32Val(constant.ToFloat(info.Types[x].Value))
					m.v = append(m.v, f)
				}
			}
		}
		if m.name == "" || len(m.v) != m.rows*m.cols {
			log.Fatalf("%s: matrix literal %q is not a complete name/rows/cols/v literal", fset.Position(lit.Pos()), m.name)
		}
		out = append(out, m)
		if tag, ok := cutPrefix(m.name, "output"); ok {
			out = append(out, m.transposed("gradOutput"+tag))
		}
		if tag, ok := cutPrefix(m.name, "filter"); ok {
			out = append(out, m.transposed("gradFilter"+tag))
		}
		return false
	})
	if len(out) == 0 {
		log.Fatalf("%s: no matrix literals", path)
	}
	return out
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

func (p *matrix) transposed(name string) *matrix {
	t := &matrix{name: name, rows: p.cols, cols: p.rows, v: make([]float32, len(p.v))}
	for i := 0; i < p.rows; i++ {
		for j := 0; j < p.cols; j++ {
			t.v[j*p.rows+i] = p.v[i*p.cols+j]
		}
	}
	return t
}

func (p *matrix) String() string { return fmt.Sprintf("%s %dx%d %v", p.name, p.rows, p.cols, p.v) }
