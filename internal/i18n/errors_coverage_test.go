package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// userMessage is an error message a domain package may show a user.
type userMessage struct {
	text string
	at   string
}

// userFacingErrors finds every literal message given to errs.New, errs.Newf,
// errs.Wrap or an errs.E{Msg: …} in the packages under root, except
// internal errors, whose message users never see.
func userFacingErrors(t *testing.T, root string) []userMessage {
	t.Helper()
	fset := token.NewFileSet()
	var out []userMessage
	seen := map[string]bool{}
	add := func(lit ast.Expr, pos token.Pos) {
		bl, ok := lit.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil || s == "" || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, userMessage{text: s, at: fset.Position(pos).String()})
	}
	isInternal := func(e ast.Expr) bool {
		sel, ok := e.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Internal"
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		// Messages only an operator reads on the command line (commands,
		// start-up configuration, backups, key and certificate rotation) stay
		// in English: the UI language does not reach a terminal.
		slash := filepath.ToSlash(path)
		for _, operatorOnly := range []string{"/cli/", "/demo/", "/backup/", "/config/", "/identity/", "/store/dump.go", "/store/ops.go", "/federation/certs.go", "/federation/keys.go"} {
			if strings.Contains(slash, operatorOnly) {
				return nil
			}
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "errs" {
					return true
				}
				switch sel.Sel.Name {
				case "New", "Newf", "Wrap":
					if len(x.Args) >= 3 && !isInternal(x.Args[0]) {
						add(x.Args[2], x.Pos())
					}
				}
			case *ast.CompositeLit:
				sel, ok := x.Type.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "E" {
					return true
				}
				var msg ast.Expr
				internal := false
				for _, el := range x.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					switch kv.Key.(*ast.Ident).Name {
					case "Msg":
						msg = kv.Value
					case "Kind":
						internal = isInternal(kv.Value)
					}
				}
				if msg != nil && !internal {
					add(msg, x.Pos())
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryUserFacingErrorIsInTheCatalogue: every message a domain package
// can show a user is an English err.* message, so TranslateError finds it
// and the user reads it in their language.
func TestEveryUserFacingErrorIsInTheCatalogue(t *testing.T) {
	if _, err := os.Stat("../errs"); err != nil {
		t.Skip("sources not beside the test")
	}
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for k, v := range c.msgs[Default] {
		if strings.HasPrefix(k, "err.") {
			known[v] = true
		}
	}
	var missing []string
	for _, m := range userFacingErrors(t, "..") {
		if !known[m.text] {
			missing = append(missing, m.at+": "+strconv.Quote(m.text))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d error message(s) users may see are not in the catalogue (add them as err.* keys, translated, to locales/<lang>.domainerrors.json):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
}
