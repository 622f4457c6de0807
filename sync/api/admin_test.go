package api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestDealerClientHasNoAdminCalls: a dealer tool has no code path to the admin-only endpoints
// (global firmware push, override actions). The contract names them (contract.go), so fleetsim
// serves them and the scope tests prove a dealer is refused; no other file of the client may
// use those paths or their request bodies.
func TestDealerClientHasNoAdminCalls(t *testing.T) {
	adminOnly := map[string]bool{"PathAdminPush": true, "PathAdminOverride": true, "GlobalPushRequest": true, "OverrideRequest": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "contract.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && adminOnly[id.Name] {
				t.Errorf("%s: the dealer's client uses the admin-only %s", fset.Position(id.Pos()), id.Name)
			}
			if lit, ok := n.(*ast.BasicLit); ok && strings.Contains(lit.Value, "/v1/admin/") {
				t.Errorf("%s: the dealer's client names an admin-only path %s", fset.Position(lit.Pos()), lit.Value)
			}
			return true
		})
	}
}
