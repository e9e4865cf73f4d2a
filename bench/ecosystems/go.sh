#!/usr/bin/env bash
# Go fixtures of the go runner pack (tokopt_pipeline/lib/packs/go.py).
#
#   bench/ecosystems/go.sh [OUT_DIR]   (default: tokopt_pipeline_tests/data/ecosystems)
#
# Writes small stdlib-only Go modules under /tmp/ci, runs them as a CI job would and keeps
# the console output (job.log), the tools' machine-readable output of a second run
# (`go test -json` events, `go vet -json` findings, the compiler's messages) and a
# truth.json derived from it:
#   go-test-verbose   go build, go vet, go test -v over eight packages: assertion failures,
#                     failing subtests, a multi-line t.Fatalf, a skip, a panic in a subtest
#   go-build-vet      gofmt -l, go build (compile errors), go vet findings, go test with a
#                     test file that does not compile ([build failed]) and a failing subtest
#   go-race           go test -race -v: two data races reported inside tests
#   go-timeout        go test -v -timeout 3s: a hung subtest, the goroutine dump of the panic
#   go-pass           go vet, go test -v -cover: every test passes (names with "error"/"fail")
# Needs the go tool (apt-get install golang-go, Go 1.19 here), gcc for -race, and python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$here/../../tokopt_pipeline_tests/data/ecosystems}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if ! command -v go >/dev/null 2>&1; then
    apt-get update -q && apt-get install -y -q golang-go gcc
fi
command -v python3 >/dev/null

WORK=/tmp/ci
mkdir -p "$WORK"
TMP=$(mktemp -d /tmp/go-fixtures.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

export GO111MODULE=on GOPROXY=off GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=1
export GOCACHE=$TMP/gocache GOPATH=$TMP/gopath
GOROOT=$(go env GOROOT)

w() {  # w PATH: write stdin to PATH, creating its folder
    mkdir -p "$(dirname "$1")"
    cat > "$1"
}

# ============================================================== storefront (go-test-verbose)
write_storefront() {
local r=$1
rm -rf "$r"; mkdir -p "$r"
w "$r/go.mod" <<'EOF'
module example.com/storefront

go 1.19
EOF

w "$r/money/money.go" <<'EOF'
// Package money holds amounts in cents and their text form.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is a sum of money in cents.
type Amount int64

// ErrSyntax is returned for text that is not an amount.
var ErrSyntax = errors.New("money: invalid amount")

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Parse reads "12.34", "-0.5", ".99" or "7".
func Parse(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if (whole == "" && !hasFrac) || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if hasFrac && (len(frac) == 0 || len(frac) > 2) {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	a := Amount(w*100 + c)
	if neg {
		a = -a
	}
	return a, nil
}

func (a Amount) String() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d", sign, a/100, a%100)
}

// Percent returns p percent of a, rounded half away from zero.
func (a Amount) Percent(p int64) Amount {
	v := int64(a) * p
	if v >= 0 {
		return Amount((v + 50) / 100)
	}
	return Amount((v - 50) / 100)
}

// Allocate splits a non-negative amount into n parts that differ by at most one cent.
func (a Amount) Allocate(n int) []Amount {
	parts := make([]Amount, n)
	base, rest := a/Amount(n), a%Amount(n)
	for i := range parts {
		parts[i] = base
		if Amount(i) < rest {
			parts[i]++
		}
	}
	return parts
}
EOF

w "$r/money/money_test.go" <<'EOF'
package money

import (
	"errors"
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Amount
	}{
		{"0", 0}, {"7", 700}, {"12.34", 1234}, {"-0.5", -50}, {"0.05", 5},
		{"1000000", 100000000}, {".99", 99}, {" 3.10 ", 310}, {"-12.01", -1201}, {"42.4", 4240},
		{"19.99", 1999}, {"0.01", 1}, {"250", 25000}, {"-7", -700}, {"3.5", 350},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := Parse(c.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Errorf("Parse(%q) = %d, want %d", c.in, got, c.want)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	for _, in := range []string{"", "abc", "1.234", "1.", "--1", "1.x", "1e3", "."} {
		t.Run("input_"+in, func(t *testing.T) {
			if _, err := Parse(in); !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) error = %v, want ErrSyntax", in, err)
			}
		})
	}
}

func TestString(t *testing.T) {
	for _, c := range []struct {
		a    Amount
		want string
	}{{0, "0.00"}, {5, "0.05"}, {-50, "-0.50"}, {1234, "12.34"}, {100000000, "1000000.00"}} {
		t.Run(c.want, func(t *testing.T) {
			if got := c.a.String(); got != c.want {
				t.Errorf("Amount(%d).String() = %q, want %q", int64(c.a), got, c.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		a    Amount
		p    int64
		want Amount
	}{{10000, 20, 2000}, {999, 10, 100}, {1, 50, 1}, {-999, 10, -100}, {12345, 0, 0}, {12345, 100, 12345}} {
		t.Run(fmt.Sprintf("%d_percent_of_%s", c.p, c.a), func(t *testing.T) {
			if got := c.a.Percent(c.p); got != c.want {
				t.Errorf("%s.Percent(%d) = %s, want %s", c.a, c.p, got, c.want)
			}
		})
	}
}

func TestAllocate(t *testing.T) {
	for _, total := range []Amount{1, 7, 99, 100, 101, 1234, 5000, 99999, 123457} {
		for n := 1; n <= 30; n++ {
			total, n := total, n
			t.Run(fmt.Sprintf("%s_over_%d", total, n), func(t *testing.T) {
				parts := total.Allocate(n)
				sum, lo, hi := Amount(0), parts[0], parts[0]
				for _, p := range parts {
					sum += p
					if p < lo {
						lo = p
					}
					if p > hi {
						hi = p
					}
				}
				if sum != total {
					t.Errorf("Allocate(%d) parts sum to %s, want %s", n, sum, total)
				}
				if hi-lo > 1 {
					t.Errorf("Allocate(%d) parts differ by %d cents", n, hi-lo)
				}
			})
		}
	}
}
EOF

w "$r/catalog/catalog.go" <<'EOF'
// Package catalog indexes the products of the shop for lookup and search.
package catalog

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"example.com/storefront/money"
)

// Product is one article of the catalog.
type Product struct {
	SKU   string
	Name  string
	Price money.Amount
	Tags  []string
}

var (
	ErrNotFound  = errors.New("catalog: product not found")
	ErrDuplicate = errors.New("catalog: duplicate SKU")
)

// Catalog holds the products by SKU and an index of the words of their names.
type Catalog struct {
	bySKU map[string]Product
	index map[string][]string
}

func New() *Catalog {
	return &Catalog{bySKU: map[string]Product{}, index: map[string][]string{}}
}

// Slugify lowers s and joins its runs of letters and digits with dashes.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// Load adds products; a SKU already present is an error.
func (c *Catalog) Load(ps []Product) error {
	for _, p := range ps {
		if _, ok := c.bySKU[p.SKU]; ok {
			return fmt.Errorf("%w: %s", ErrDuplicate, p.SKU)
		}
		c.bySKU[p.SKU] = p
		for _, tok := range strings.Split(Slugify(p.Name), "-") {
			c.index[tok] = append(c.index[tok], p.SKU)
		}
	}
	return nil
}

func (c *Catalog) Lookup(sku string) (Product, error) {
	p, ok := c.bySKU[sku]
	if !ok {
		return Product{}, fmt.Errorf("%w: %s", ErrNotFound, sku)
	}
	return p, nil
}

// Search returns the SKUs whose names hold every word of q, sorted.
func (c *Catalog) Search(q string) []string {
	var result map[string]bool
	for _, tok := range strings.Split(Slugify(q), "-") {
		if tok == "" {
			continue
		}
		hits := map[string]bool{}
		for _, s := range c.index[tok] {
			hits[s] = true
		}
		if result == nil {
			result = hits
			continue
		}
		for s := range result {
			if !hits[s] {
				delete(result, s)
			}
		}
	}
	out := make([]string, 0, len(result))
	for s := range result {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (c *Catalog) Len() int    { return len(c.bySKU) }
func (c *Catalog) Tokens() int { return len(c.index) }
EOF

w "$r/catalog/catalog_test.go" <<'EOF'
package catalog

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"example.com/storefront/money"
)

var (
	adjectives = []string{"Red", "Blue", "Organic", "Large", "Compact", "Vintage", "Wireless", "Steel"}
	nouns      = []string{"Mug", "Lamp", "Backpack", "Kettle", "Notebook", "Chair", "Speaker", "Bottle", "Scarf", "Clock"}
)

func sample() []Product {
	var ps []Product
	for i, a := range adjectives {
		for j, n := range nouns {
			for k := 0; k < 3; k++ {
				ps = append(ps, Product{
					SKU:   fmt.Sprintf("%s-%03d", strings.ToUpper(n[:2]), i*30+j*3+k),
					Name:  fmt.Sprintf("%s %s %d", a, n, k+1),
					Price: money.Amount(499 + 100*i + 10*j + k),
				})
			}
		}
	}
	return ps
}

func TestSlugify(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Red Mug", "red-mug"}, {"  spaced  out  ", "spaced-out"}, {"Café Crème", "café-crème"},
		{"USB-C Cable (2m)", "usb-c-cable-2m"}, {"", ""}, {"---", ""}, {"A/B testing", "a-b-testing"},
		{"100% Cotton", "100-cotton"}, {"Tea & Biscuits", "tea-biscuits"}, {"iPhone 15 Pro", "iphone-15-pro"},
		{"O'Reilly", "o-reilly"}, {"snake_case_name", "snake-case-name"}, {"Ünïcödé", "ünïcödé"},
		{"tabs\tand\nnewlines", "tabs-and-newlines"}, {"x", "x"}, {"2024 Edition", "2024-edition"},
	} {
		t.Run(c.want, func(t *testing.T) {
			if got := Slugify(c.in); got != c.want {
				t.Errorf("Slugify(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	c := New()
	if err := c.Load(sample()); err != nil {
		t.Fatal(err)
	}
	t.Logf("indexed %d products, %d tokens", c.Len(), c.Tokens())
	for _, a := range adjectives {
		for _, n := range nouns {
			q := a + " " + n
			t.Run(Slugify(q), func(t *testing.T) {
				if got := c.Search(q); len(got) != 3 {
					t.Errorf("Search(%q) = %v, want 3 products", q, got)
				}
			})
		}
	}
}

func TestLookup(t *testing.T) {
	c := New()
	if err := c.Load(sample()); err != nil {
		t.Fatal(err)
	}
	for _, p := range sample()[:40] {
		p := p
		t.Run(p.SKU, func(t *testing.T) {
			got, err := c.Lookup(p.SKU)
			if err != nil || got.Name != p.Name {
				t.Errorf("Lookup(%s) = %q, %v; want %q", p.SKU, got.Name, err, p.Name)
			}
		})
	}
}

func TestLookupError(t *testing.T) {
	c := New()
	if _, err := c.Lookup("ZZ-999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup(ZZ-999) error = %v, want ErrNotFound", err)
	}
}

func TestLoadFailsOnDuplicate(t *testing.T) {
	c := New()
	ps := sample()[:2]
	ps[1].SKU = ps[0].SKU
	if err := c.Load(ps); !errors.Is(err, ErrDuplicate) {
		t.Errorf("Load error = %v, want ErrDuplicate", err)
	}
}
EOF

w "$r/cart/cart.go" <<'EOF'
// Package cart holds a customer's cart and computes its totals.
package cart

import (
	"errors"
	"fmt"

	"example.com/storefront/money"
)

var (
	ErrQuantity = errors.New("cart: quantity must be positive")
	ErrDiscount = errors.New("cart: discount out of range")
	ErrEmpty    = errors.New("cart: empty")
)

type Line struct {
	SKU  string
	Qty  int
	Unit money.Amount
}

// Rate is a VAT rate in per mille (200 = 20%).
type Rate struct {
	Name     string
	PerMille int64
}

type Cart struct {
	Lines    []Line
	discount int64
}

func (c *Cart) Add(sku string, qty int, unit money.Amount) error {
	if qty <= 0 {
		return fmt.Errorf("%w: %d", ErrQuantity, qty)
	}
	for i := range c.Lines {
		if c.Lines[i].SKU == sku {
			c.Lines[i].Qty += qty
			return nil
		}
	}
	c.Lines = append(c.Lines, Line{sku, qty, unit})
	return nil
}

func (c *Cart) Subtotal() money.Amount {
	var s money.Amount
	for _, l := range c.Lines {
		s += l.Unit * money.Amount(l.Qty)
	}
	return s
}

// ApplyDiscount sets the percentage taken off the subtotal.
func (c *Cart) ApplyDiscount(pct int64) error {
	if pct < 0 {
		return fmt.Errorf("%w: %d%%", ErrDiscount, pct)
	}
	c.discount = pct
	return nil
}

func (c *Cart) Total() money.Amount {
	s := c.Subtotal()
	return s - s.Percent(c.discount)
}

func (c *Cart) TotalWithTax(r Rate) money.Amount {
	t := c.Total()
	return t + t.Percent(r.PerMille/10)
}

func (c *Cart) Checkout() (money.Amount, error) {
	if len(c.Lines) == 0 {
		return 0, ErrEmpty
	}
	return c.Total(), nil
}
EOF

w "$r/cart/cart_test.go" <<'EOF'
package cart

import (
	"errors"
	"fmt"
	"testing"

	"example.com/storefront/money"
)

func TestAdd(t *testing.T) {
	var c Cart
	c.Add("MU-001", 1, 1250)
	c.Add("MU-001", 2, 1250)
	c.Add("LA-034", 1, 4999)
	if len(c.Lines) != 2 || c.Lines[0].Qty != 3 {
		t.Errorf("lines = %+v, want MU-001 x3 and LA-034 x1", c.Lines)
	}
}

func TestAddError(t *testing.T) {
	for _, q := range []int{0, -1} {
		t.Run(fmt.Sprintf("quantity_%d", q), func(t *testing.T) {
			var c Cart
			if err := c.Add("MU-001", q, 100); !errors.Is(err, ErrQuantity) {
				t.Errorf("Add(qty=%d) error = %v, want ErrQuantity", q, err)
			}
		})
	}
}

func TestSubtotal(t *testing.T) {
	for n := 1; n <= 60; n++ {
		n := n
		t.Run(fmt.Sprintf("%d_lines", n), func(t *testing.T) {
			var c Cart
			want := money.Amount(0)
			for i := 0; i < n; i++ {
				unit := money.Amount(100 + 37*i)
				c.Add(fmt.Sprintf("SKU-%03d", i), i%4+1, unit)
				want += unit * money.Amount(i%4+1)
			}
			if got := c.Subtotal(); got != want {
				t.Errorf("Subtotal() = %s, want %s", got, want)
			}
		})
	}
}

func TestApplyDiscount(t *testing.T) {
	cases := []struct {
		name    string
		pct     int64
		wantErr bool
		want    money.Amount
	}{
		{"none", 0, false, 5000},
		{"ten_percent", 10, false, 4500},
		{"half", 50, false, 2500},
		{"all", 100, false, 0},
		{"negative", -5, true, 5000},
		{"over_100_percent", 150, true, 5000},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			var k Cart
			k.Add("MU-001", 2, 2500)
			err := k.ApplyDiscount(c.pct)
			if c.wantErr && !errors.Is(err, ErrDiscount) {
				t.Errorf("ApplyDiscount(%d) error = %v, want ErrDiscount", c.pct, err)
			}
			if got := k.Total(); got != c.want {
				t.Errorf("Total() = %s after ApplyDiscount(%d), want %s", got, c.pct, c.want)
			}
		})
	}
}

func TestTotalWithTax(t *testing.T) {
	for _, c := range []struct {
		rate Rate
		want money.Amount
	}{
		{Rate{"standard", 200}, 12000},
		{Rate{"intermediate", 100}, 11000},
		{Rate{"reduced", 55}, 10550},
		{Rate{"zero", 0}, 10000},
	} {
		c := c
		t.Run(c.rate.Name+"_rate", func(t *testing.T) {
			var k Cart
			k.Add("KE-100", 4, 2500)
			if got := k.TotalWithTax(c.rate); got != c.want {
				t.Errorf("TotalWithTax(%s %d‰) = %s, want %s", c.rate.Name, c.rate.PerMille, got, c.want)
			}
		})
	}
}

func TestCheckoutErrors(t *testing.T) {
	t.Run("empty_cart_error", func(t *testing.T) {
		var c Cart
		if _, err := c.Checkout(); !errors.Is(err, ErrEmpty) {
			t.Errorf("Checkout() error = %v, want ErrEmpty", err)
		}
	})
	t.Run("one_line", func(t *testing.T) {
		var c Cart
		c.Add("MU-001", 1, 990)
		if got, err := c.Checkout(); err != nil || got != 990 {
			t.Errorf("Checkout() = %s, %v; want 9.90, <nil>", got, err)
		}
	})
}
EOF

w "$r/inventory/inventory.go" <<'EOF'
// Package inventory tracks the stock of each warehouse slot.
package inventory

import (
	"errors"
	"fmt"
)

var ErrShort = errors.New("inventory: not enough stock")

type Stock struct {
	names []string
	bins  [][]int
}

func New(warehouses []string, slots int) *Stock {
	s := &Stock{names: warehouses, bins: make([][]int, len(warehouses))}
	for i := range s.bins {
		s.bins[i] = make([]int, slots)
	}
	return s
}

func (s *Stock) Put(w, slot, qty int)        { s.bins[w][slot] += qty }
func (s *Stock) Available(w, slot int) int   { return s.bins[w][slot] }
func (s *Stock) Release(w, slot, qty int)    { s.bins[w][slot] += qty }
func (s *Stock) Warehouses() int             { return len(s.bins) }

// Reserve takes qty units out of a slot.
func (s *Stock) Reserve(w, slot, qty int) error {
	bin := s.bins[w]
	if bin[slot] < qty {
		return fmt.Errorf("%w: %s slot %d has %d, want %d", ErrShort, s.names[w], slot, bin[slot], qty)
	}
	bin[slot] -= qty
	return nil
}

// Transfer moves qty units between two warehouses.
func (s *Stock) Transfer(from, to, slot, qty int) error {
	if err := s.Reserve(from, slot, qty); err != nil {
		return err
	}
	s.Put(to, slot, qty)
	return nil
}
EOF

w "$r/inventory/inventory_test.go" <<'EOF'
package inventory

import (
	"errors"
	"fmt"
	"testing"
)

var names = []string{"lyon", "lille", "nantes"}

func TestNew(t *testing.T) {
	s := New(names, 20)
	if s.Warehouses() != 3 {
		t.Fatalf("Warehouses() = %d, want 3", s.Warehouses())
	}
}

func TestPutAvailable(t *testing.T) {
	s := New(names, 20)
	for w := range names {
		for slot := 0; slot < 20; slot++ {
			w, slot := w, slot
			t.Run(fmt.Sprintf("%s/slot_%02d", names[w], slot), func(t *testing.T) {
				s.Put(w, slot, slot+w)
				if got := s.Available(w, slot); got != slot+w {
					t.Errorf("Available(%d, %d) = %d, want %d", w, slot, got, slot+w)
				}
			})
		}
	}
}

func TestReserveRelease(t *testing.T) {
	for i := 1; i <= 40; i++ {
		i := i
		t.Run(fmt.Sprintf("cycle_%02d", i), func(t *testing.T) {
			s := New(names, 4)
			s.Put(i%3, i%4, 10*i)
			if err := s.Reserve(i%3, i%4, 3*i); err != nil {
				t.Fatal(err)
			}
			s.Release(i%3, i%4, i)
			if got := s.Available(i%3, i%4); got != 8*i {
				t.Errorf("after reserve and release: %d, want %d", got, 8*i)
			}
		})
	}
}

func TestReserve(t *testing.T) {
	s := New(names, 4)
	s.Put(0, 1, 5)
	t.Run("enough", func(t *testing.T) {
		if err := s.Reserve(0, 1, 2); err != nil {
			t.Errorf("Reserve: %v", err)
		}
	})
	t.Run("exact", func(t *testing.T) {
		if err := s.Reserve(0, 1, 3); err != nil {
			t.Errorf("Reserve: %v", err)
		}
	})
	t.Run("short_error", func(t *testing.T) {
		if err := s.Reserve(0, 1, 1); !errors.Is(err, ErrShort) {
			t.Errorf("Reserve error = %v, want ErrShort", err)
		}
	})
	t.Run("unknown_warehouse", func(t *testing.T) {
		if err := s.Reserve(3, 0, 1); err == nil {
			t.Errorf("Reserve in warehouse 3 succeeded")
		}
	})
}

func TestTransfer(t *testing.T) {
	s := New(names, 4)
	s.Put(0, 2, 10)
	if err := s.Transfer(0, 1, 2, 4); err != nil {
		t.Fatal(err)
	}
}
EOF

w "$r/orders/orders.go" <<'EOF'
// Package orders is the life cycle of an order.
package orders

import (
	"errors"
	"fmt"
)

type State string
type Event string

const (
	Pending   State = "pending"
	Paid      State = "paid"
	Packed    State = "packed"
	Shipped   State = "shipped"
	Delivered State = "delivered"
	Cancelled State = "cancelled"
	Refunded  State = "refunded"
)

const (
	Pay     Event = "pay"
	Pack    Event = "pack"
	Ship    Event = "ship"
	Deliver Event = "deliver"
	Cancel  Event = "cancel"
	Refund  Event = "refund"
)

var ErrTransition = errors.New("orders: transition not allowed")

var next = map[State]map[Event]State{
	Pending:   {Pay: Paid, Cancel: Cancelled},
	Paid:      {Pack: Packed, Cancel: Cancelled, Refund: Refunded},
	Packed:    {Ship: Shipped, Cancel: Cancelled},
	Shipped:   {Deliver: Delivered, Cancel: Cancelled},
	Delivered: {Refund: Refunded},
}

// Transition is the state an event leads to.
func Transition(s State, e Event) (State, error) {
	if n, ok := next[s][e]; ok {
		return n, nil
	}
	return s, fmt.Errorf("%w: %s on %s order", ErrTransition, e, s)
}

type Order struct {
	ID      string
	State   State
	History []State
}

func (o *Order) Apply(events ...Event) error {
	for _, e := range events {
		n, err := Transition(o.State, e)
		if err != nil {
			return fmt.Errorf("order %s: %w", o.ID, err)
		}
		o.History = append(o.History, o.State)
		o.State = n
	}
	return nil
}
EOF

w "$r/orders/orders_test.go" <<'EOF'
package orders

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

var (
	states = []State{Pending, Paid, Packed, Shipped, Delivered, Cancelled, Refunded}
	events = []Event{Pay, Pack, Ship, Deliver, Cancel, Refund}
	allowed = map[State]map[Event]State{
		Pending:   {Pay: Paid, Cancel: Cancelled},
		Paid:      {Pack: Packed, Cancel: Cancelled, Refund: Refunded},
		Packed:    {Ship: Shipped, Cancel: Cancelled},
		Shipped:   {Deliver: Delivered},
		Delivered: {Refund: Refunded},
	}
)

func TestTransition(t *testing.T) {
	for _, s := range states {
		for _, e := range events {
			s, e := s, e
			t.Run(string(s)+"/"+string(e), func(t *testing.T) {
				got, err := Transition(s, e)
				want, ok := allowed[s][e]
				switch {
				case ok && (err != nil || got != want):
					t.Errorf("Transition(%s, %s) = %s, %v; want %s", s, e, got, err, want)
				case !ok && !errors.Is(err, ErrTransition):
					t.Errorf("Transition(%s, %s) = %s, %v; want error ErrTransition", s, e, got, err)
				}
			})
		}
	}
}

func TestHistory(t *testing.T) {
	o := &Order{ID: "A-1001", State: Pending}
	if err := o.Apply(Pay, Pack, Ship, Deliver, Refund); err != nil {
		t.Fatal(err)
	}
	want := []State{Pending, Paid, Packed, Shipped, Delivered}
	if !reflect.DeepEqual(o.History, want) {
		t.Errorf("History = %v, want %v", o.History, want)
	}
}

func TestApplySequence(t *testing.T) {
	t.Run("pay_then_refund", func(t *testing.T) {
		o := &Order{ID: "A-1002", State: Pending}
		if err := o.Apply(Pay, Refund); err != nil || o.State != Refunded {
			t.Errorf("Apply(pay, refund) = %v, state %s", err, o.State)
		}
	})
	t.Run("cancel_after_ship", func(t *testing.T) {
		o := &Order{ID: "A-1003", State: Pending}
		err := o.Apply(Pay, Pack, Ship, Cancel)
		if !errors.Is(err, ErrTransition) {
			t.Fatalf("Apply(pay, pack, ship, cancel) = %v, want ErrTransition\n  state: %s\nhistory: %v", err, o.State, o.History)
		}
	})
}

func TestPersist(t *testing.T) {
	if os.Getenv("STOREFRONT_DB_URL") == "" {
		t.Skip("STOREFRONT_DB_URL not set; skipping the persistence tests")
	}
}
EOF

w "$r/shipping/shipping.go" <<'EOF'
// Package shipping prices parcels by zone and weight.
package shipping

import (
	"errors"
	"fmt"

	"example.com/storefront/money"
)

var ErrZone = errors.New("shipping: unknown zone")

type zone struct{ base, perKg money.Amount }

var zones = map[string]zone{
	"domestic": {390, 120},
	"eu":       {890, 310},
	"intl":     {1590, 740},
}

// Quote prices a parcel: a base fee and a rate per started kilogram.
func Quote(z string, grams int) (money.Amount, error) {
	r, ok := zones[z]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrZone, z)
	}
	if grams <= 0 {
		return 0, fmt.Errorf("shipping: weight must be positive, got %d", grams)
	}
	kg := (grams + 999) / 1000
	return r.base + r.perKg*money.Amount(kg), nil
}
EOF

w "$r/shipping/shipping_test.go" <<'EOF'
package shipping

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"example.com/storefront/money"
)

func TestQuote(t *testing.T) {
	fees := map[string][2]money.Amount{"domestic": {390, 120}, "eu": {890, 310}, "intl": {1590, 740}}
	for _, z := range []string{"domestic", "eu", "intl"} {
		for g := 200; g <= 60000; g += 200 {
			z, g := z, g
			t.Run(fmt.Sprintf("%s/%dg", z, g), func(t *testing.T) {
				kg := money.Amount(math.Ceil(float64(g) / 1000))
				want := fees[z][0] + fees[z][1]*kg
				got, err := Quote(z, g)
				if err != nil || got != want {
					t.Errorf("Quote(%s, %d) = %s, %v; want %s", z, g, got, err, want)
				}
			})
		}
	}
}

func TestQuoteError(t *testing.T) {
	if _, err := Quote("mars", 1000); !errors.Is(err, ErrZone) {
		t.Errorf("Quote(mars) error = %v, want ErrZone", err)
	}
	if _, err := Quote("eu", 0); err == nil {
		t.Errorf("Quote(eu, 0) error = nil")
	}
}
EOF

w "$r/httpapi/httpapi.go" <<'EOF'
// Package httpapi serves the catalog over HTTP.
package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"example.com/storefront/catalog"
)

type Server struct {
	Catalog *catalog.Catalog
	SKUs    []string
}

func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("/products/", s.getProduct)
	mux.HandleFunc("/products", s.listProducts)
	return mux
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	sku := strings.TrimPrefix(r.URL.Path, "/products/")
	p, err := s.Catalog.Lookup(sku)
	switch {
	case err == catalog.ErrNotFound:
		http.Error(w, "not found", http.StatusNotFound)
	case err != nil:
		http.Error(w, "internal error: "+err.Error(), http.StatusInternalServerError)
	default:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"sku": p.SKU, "name": p.Name, "price": p.Price.String()})
	}
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("size"))
	if page < 1 {
		page = 1
	}
	if size < 1 || size > 100 {
		size = 20
	}
	lo, hi := (page-1)*size, page*size
	if lo > len(s.SKUs) {
		lo = len(s.SKUs)
	}
	if hi > len(s.SKUs) {
		hi = len(s.SKUs)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.SKUs[lo:hi])
}
EOF

w "$r/httpapi/httpapi_test.go" <<'EOF'
package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"example.com/storefront/catalog"
	"example.com/storefront/money"
)

func server(t *testing.T) *Server {
	t.Helper()
	c := catalog.New()
	var ps []catalog.Product
	var skus []string
	for i := 0; i < 237; i++ {
		sku := fmt.Sprintf("MU-%03d", i)
		ps = append(ps, catalog.Product{SKU: sku, Name: fmt.Sprintf("Mug %d", i), Price: money.Amount(990 + i)})
		skus = append(skus, sku)
	}
	if err := c.Load(ps); err != nil {
		t.Fatal(err)
	}
	return &Server{Catalog: c, SKUs: skus}
}

func get(h http.Handler, url string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	return rec
}

func TestHealth(t *testing.T) {
	if rec := get(server(t).Handler(), "/healthz"); rec.Code != 200 {
		t.Errorf("GET /healthz: status %d", rec.Code)
	}
}

func TestGetProduct(t *testing.T) {
	h := server(t).Handler()
	t.Run("known_sku", func(t *testing.T) {
		if rec := get(h, "/products/MU-042"); rec.Code != http.StatusOK {
			t.Errorf("GET /products/MU-042: status %d, want 200", rec.Code)
		}
	})
	t.Run("unknown_sku", func(t *testing.T) {
		rec := get(h, "/products/XX-000")
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET /products/XX-000: status %d, want %d", rec.Code, http.StatusNotFound)
			t.Errorf("body: %q", rec.Body.String())
		}
	})
}

func TestListProducts(t *testing.T) {
	h := server(t).Handler()
	for page := 1; page <= 24; page++ {
		page := page
		t.Run(fmt.Sprintf("page_%d", page), func(t *testing.T) {
			rec := get(h, fmt.Sprintf("/products?page=%d&size=10", page))
			var got []string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("decoding page %d: %v", page, err)
			}
			want := 10
			if page == 24 {
				want = 7
			}
			if len(got) != want {
				t.Errorf("page %d has %d products, want %d", page, len(got), want)
			}
		})
	}
}
EOF

w "$r/cmd/storefront/main.go" <<'EOF'
// Command storefront serves the shop's HTTP API.
package main

import (
	"log"
	"net/http"
	"os"

	"example.com/storefront/catalog"
	"example.com/storefront/httpapi"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	srv := &httpapi.Server{Catalog: catalog.New()}
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, srv.Handler()))
}
EOF
}

# ============================================================== tally (go-build-vet)
write_tally() {
local r=$1
rm -rf "$r"; mkdir -p "$r"
w "$r/go.mod" <<'EOF'
module example.com/tally

go 1.19
EOF

w "$r/tally.go" <<'EOF'
// Package tally sums journal entries into account balances.
package tally

import (
	"sort"
	"strings"
)

type Entry struct {
	Account string
	Cents   int64
}

// Balances sums the entries per account, accounts in name order.
func Balances(entries []Entry) []Entry {
	sums := map[string]int64{}
	for _, e := range entries {
		sums[strings.ToLower(e.Account)] += e.Cents
	}
	out := make([]Entry, 0, len(sums))
	for a, c := range sums {
		out = append(out, Entry{a, c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// Net is the sum of all entries and the pending adjustments.
func Net(entries []Entry) int64 {
	var total int64
	for _, e := range entries {
		total += e.Cents
	}
	return total + pendingAdjustments
}

// Describe is the entry as one line of text.
func Describe(e Entry) string {
	return e.Account + ": " + e.Cents
}
EOF

w "$r/cmd/tally/main.go" <<'EOF'
// Command tally prints the balances of the entries read from standard input.
package main

import (
	"fmt"

	"example.com/tally"
)

func main() {
	for _, e := range tally.Balances(nil) {
		fmt.Println(tally.Describe(e))
	}
}
EOF

w "$r/journal/journal.go" <<'EOF'
// Package journal checks and sums double-entry transactions.
package journal

import (
	"errors"
	"fmt"
	"sort"
)

var ErrUnbalanced = errors.New("journal: transaction does not balance")

type Posting struct {
	Account  string
	Cents    int64
	Currency string
}

type Txn struct {
	ID       string
	Postings []Posting
}

// Validate checks that the postings of each currency sum to zero.
func Validate(t Txn) error {
	if len(t.Postings) < 2 {
		return fmt.Errorf("journal: %s has %d postings, want at least 2", t.ID, len(t.Postings))
	}
	sums := map[string]int64{}
	for _, p := range t.Postings {
		sums[p.Currency] += p.Cents
	}
	curs := make([]string, 0, len(sums))
	for c := range sums {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	for _, c := range curs {
		if sums[c] != 0 {
			return fmt.Errorf("%w: %s is off by %d %s", ErrUnbalanced, t.ID, sums[c], c)
		}
	}
	return nil
}

// Balance sums the postings of each account, per currency ("assets:bank EUR").
func Balance(txns []Txn) map[string]int64 {
	out := map[string]int64{}
	for _, t := range txns {
		for _, p := range t.Postings {
			out[p.Account] += p.Cents
		}
	}
	return out
}
EOF

w "$r/journal/journal_test.go" <<'EOF'
package journal

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func txn(i int) Txn {
	cur := []string{"EUR", "USD", "GBP"}[i%3]
	amt := int64(100 + 17*i)
	return Txn{ID: fmt.Sprintf("T%04d", i), Postings: []Posting{
		{"expenses:office", amt, cur},
		{"assets:bank", -amt + int64(i%2), cur},
		{"assets:rounding", -int64(i % 2), cur},
	}}
}

func TestValidate(t *testing.T) {
	for i := 0; i < 150; i++ {
		tx := txn(i)
		t.Run(tx.ID, func(t *testing.T) {
			if err := Validate(tx); err != nil {
				t.Errorf("Validate(%s): %v", tx.ID, err)
			}
		})
	}
}

func TestValidateError(t *testing.T) {
	t.Run("one_posting", func(t *testing.T) {
		if err := Validate(Txn{ID: "X1", Postings: []Posting{{"assets:bank", 1, "EUR"}}}); err == nil {
			t.Error("Validate accepted a single posting")
		}
	})
	t.Run("unbalanced", func(t *testing.T) {
		tx := Txn{ID: "X2", Postings: []Posting{{"assets:bank", 100, "EUR"}, {"income", -99, "EUR"}}}
		if err := Validate(tx); !errors.Is(err, ErrUnbalanced) {
			t.Errorf("Validate error = %v, want ErrUnbalanced", err)
		}
	})
}

func TestBalance(t *testing.T) {
	t.Run("single_currency", func(t *testing.T) {
		got := Balance([]Txn{{ID: "A", Postings: []Posting{{"assets:bank", -500, "EUR"}, {"expenses:rent", 500, "EUR"}}}})
		if got["assets:bank"] != -500 {
			t.Errorf("Balance()[assets:bank] = %d, want -500", got["assets:bank"])
		}
	})
	t.Run("multi_currency", func(t *testing.T) {
		got := Balance([]Txn{
			{ID: "A", Postings: []Posting{{"assets:bank", -500, "EUR"}, {"expenses:rent", 500, "EUR"}}},
			{ID: "B", Postings: []Posting{{"assets:bank", 300, "USD"}, {"income:sales", -300, "USD"}}},
		})
		want := map[string]int64{"assets:bank EUR": -500, "assets:bank USD": 300, "expenses:rent EUR": 500, "income:sales USD": -300}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Balance() = %v, want %v", got, want)
		}
	})
}
EOF

w "$r/report/report.go" <<'EOF'
// Package report prints balances as a text table.
package report

import (
	"fmt"
	"io"
	"sync"
)

type Line struct {
	Account string `json:"account"`
	Cents   int64  `json:"cents,string" xml:"cents`
}

type Writer struct {
	mu  sync.Mutex
	out io.Writer
	n   int
}

func NewWriter(out io.Writer) *Writer { return &Writer{out: out} }

// Count is the number of lines written.
func (w Writer) Count() int { return w.n }

func (w *Writer) Write(l Line) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	_, err := fmt.Fprintf(w.out, "%-30s %12d\n", l.Account, l.Cents)
	return err
}

// Header prints the title of the table.
func Header(w io.Writer, title string, n int) {
	fmt.Fprintf(w, "%s (%d accounts)\n", n, title)
}

func Total(lines []Line) int64 {
	var t int64
	if len(lines) == 0 {
		return 0
		fmt.Println("no lines")
	}
	for _, l := range lines {
		t += l.Cents
	}
	return t
}

func Footer(total int64) string {
	fmt.Sprintf("%d", total)
	return "-- end of report --"
}
EOF

w "$r/report/format.go" <<'EOF'
package report

func  pad(s string,n int) string{
for len(s)<n { s+=" " }
    return s
}
EOF

w "$r/report/report_test.go" <<'EOF'
package report

import (
	"bytes"
	"fmt"
	"testing"
)

func TestWrite(t *testing.T) {
	for i := 0; i < 30; i++ {
		i := i
		t.Run(fmt.Sprintf("line_%02d", i), func(t *testing.T) {
			var b bytes.Buffer
			w := NewWriter(&b)
			if err := w.Write(Line{fmt.Sprintf("expenses:item%d", i), int64(i * 100)}); err != nil {
				t.Fatal(err)
			}
			if b.Len() != 44 {
				t.Errorf("line is %d bytes, want 44", b.Len())
			}
		})
	}
}

func TestTotal(t *testing.T) {
	if got := Total([]Line{{"a", 1}, {"b", 2}}); got != 3 {
		t.Errorf("Total = %d, want 3", got)
	}
	if pad("ab", 4) != "ab  " {
		t.Error("pad")
	}
}
EOF

w "$r/importer/importer.go" <<'EOF'
// Package importer reads bank statements in CSV.
package importer

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

type Row struct {
	Date, Account string
	Cents         int64
}

// ParseCSV reads "date,account,cents" rows after a header line.
func ParseCSV(r io.Reader) ([]Row, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	var rows []Row
	for i, rec := range recs {
		if i == 0 {
			continue
		}
		c, err := strconv.ParseInt(rec[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		rows = append(rows, Row{rec[0], rec[1], c})
	}
	return rows, nil
}
EOF

w "$r/importer/importer_test.go" <<'EOF'
package importer

import (
	"strings"
	"testing"
)

const sample = "date,account,cents\n2024-01-02,assets:bank,1250\n2024-01-03,expenses:food,-830\n"

func TestParseCSV(t *testing.T) {
	rows, err := ParseCSV(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Cents != "1250" {
		t.Errorf("rows[0].Cents = %d", rows[0].Cents)
	}
}

func TestHeader(t *testing.T) {
	if got := parseHeader("date,account,cents"); len(got) != 3 {
		t.Errorf("parseHeader = %v", got)
	}
}
EOF
}

# ============================================================== throttle (go-race)
write_throttle() {
local r=$1
rm -rf "$r"; mkdir -p "$r"
w "$r/go.mod" <<'EOF'
module example.com/throttle

go 1.19
EOF

w "$r/bucket/bucket.go" <<'EOF'
// Package bucket is a token-bucket rate limiter.
package bucket

import (
	"sync"
	"time"
)

type Stats struct{ Allowed, Denied int64 }

type Bucket struct {
	mu     sync.Mutex
	tokens float64
	max    float64
	rate   float64 // tokens per second
	last   time.Time
	now    func() time.Time
	stats  Stats
}

func New(max, rate float64, now func() time.Time) *Bucket {
	return &Bucket{tokens: max, max: max, rate: rate, last: now(), now: now}
}

func (b *Bucket) refill() {
	t := b.now()
	b.tokens += t.Sub(b.last).Seconds() * b.rate
	if b.tokens > b.max {
		b.tokens = b.max
	}
	b.last = t
}

// Allow takes one token if there is one.
func (b *Bucket) Allow() bool {
	b.mu.Lock()
	b.refill()
	ok := b.tokens >= 1
	if ok {
		b.tokens--
	}
	b.mu.Unlock()
	if ok {
		b.stats.Allowed++
	} else {
		b.stats.Denied++
	}
	return ok
}

func (b *Bucket) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}
EOF

w "$r/bucket/bucket_test.go" <<'EOF'
package bucket

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time            { return c.t }
func (c *clock) advance(d time.Duration)   { c.t = c.t.Add(d) }
func newClock() *clock                     { return &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestAllowBurst(t *testing.T) {
	for n := 1; n <= 40; n++ {
		n := n
		t.Run(fmt.Sprintf("capacity_%d", n), func(t *testing.T) {
			c := newClock()
			b := New(float64(n), 1, c.now)
			for i := 0; i < n; i++ {
				if !b.Allow() {
					t.Fatalf("request %d of %d denied", i+1, n)
				}
			}
			if b.Allow() {
				t.Errorf("request %d allowed past the burst", n+1)
			}
		})
	}
}

func TestRefill(t *testing.T) {
	for ms := 100; ms <= 3000; ms += 100 {
		ms := ms
		t.Run(fmt.Sprintf("after_%dms", ms), func(t *testing.T) {
			c := newClock()
			b := New(10, 5, c.now)
			for b.Allow() {
			}
			c.advance(time.Duration(ms) * time.Millisecond)
			want := ms * 5 / 1000
			if want > 10 {
				want = 10
			}
			got := 0
			for b.Allow() {
				got++
			}
			if got != want {
				t.Errorf("after %dms: %d tokens, want %d", ms, got, want)
			}
		})
	}
}

func TestAllowFailsWhenEmpty(t *testing.T) {
	c := newClock()
	b := New(1, 1, c.now)
	b.Allow()
	if b.Allow() {
		t.Error("empty bucket allowed a request")
	}
}

func TestConcurrentAllow(t *testing.T) {
	b := New(100, 0, time.Now)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				b.Allow()
			}
		}()
	}
	wg.Wait()
	if s := b.Stats(); s.Allowed > 100 {
		t.Errorf("allowed %d requests, capacity is 100", s.Allowed)
	}
}
EOF

w "$r/window/window.go" <<'EOF'
// Package window counts events in a sliding time window.
package window

import (
	"sort"
	"sync"
	"time"
)

type Window struct {
	mu     sync.Mutex
	size   time.Duration
	events []time.Time
	pruned int
}

func New(size time.Duration) *Window { return &Window{size: size} }

func (w *Window) Add(t time.Time) {
	w.mu.Lock()
	w.events = append(w.events, t)
	w.mu.Unlock()
}

// Count is the number of events in the window that ends at now.
func (w *Window) Count(now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	from := now.Add(-w.size)
	i := sort.Search(len(w.events), func(i int) bool { return w.events[i].After(from) })
	return len(w.events) - i
}

// StartPruner drops events older than the window every interval until stop is closed.
func (w *Window) StartPruner(now func() time.Time, every time.Duration, stop <-chan struct{}) {
	go func() {
		tk := time.NewTicker(every)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				w.prune(now())
			}
		}
	}()
}

func (w *Window) prune(now time.Time) {
	w.mu.Lock()
	from := now.Add(-w.size)
	cut := sort.Search(len(w.events), func(i int) bool { return w.events[i].After(from) })
	w.events = w.events[cut:]
	w.mu.Unlock()
	w.pruned += cut
}

// Pruned is the number of events dropped so far.
func (w *Window) Pruned() int { return w.pruned }
EOF

w "$r/window/window_test.go" <<'EOF'
package window

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

func TestCount(t *testing.T) {
	for n := 1; n <= 50; n++ {
		n := n
		t.Run(fmt.Sprintf("%d_events", n), func(t *testing.T) {
			w := New(time.Minute)
			for i := 0; i < n; i++ {
				w.Add(t0.Add(time.Duration(i) * 2 * time.Second))
			}
			end := t0.Add(time.Duration(n-1) * 2 * time.Second)
			want := n
			if want > 30 {
				want = 30
			}
			if got := w.Count(end); got != want {
				t.Errorf("Count = %d, want %d", got, want)
			}
		})
	}
}

func TestPruner(t *testing.T) {
	w := New(time.Second)
	for i := 0; i < 100; i++ {
		w.Add(t0.Add(time.Duration(i) * 100 * time.Millisecond))
	}
	stop := make(chan struct{})
	defer close(stop)
	w.StartPruner(func() time.Time { return t0.Add(20 * time.Second) }, time.Millisecond, stop)
	time.Sleep(30 * time.Millisecond)
	if got := w.Pruned(); got != 100 {
		t.Errorf("Pruned = %d, want 100", got)
	}
}

func TestEmptyWindowCountsNoErrors(t *testing.T) {
	if got := New(time.Second).Count(t0); got != 0 {
		t.Errorf("Count = %d on an empty window", got)
	}
}
EOF

w "$r/lru/lru.go" <<'EOF'
// Package lru is a size-bounded cache that evicts the least recently used key.
package lru

import (
	"container/list"
	"errors"
	"sync"
)

var ErrCapacity = errors.New("lru: capacity must be positive")

type entry struct {
	key   string
	value int
}

type Cache struct {
	mu    sync.Mutex
	cap   int
	order *list.List
	items map[string]*list.Element
}

func New(capacity int) (*Cache, error) {
	if capacity <= 0 {
		return nil, ErrCapacity
	}
	return &Cache{cap: capacity, order: list.New(), items: map[string]*list.Element{}}, nil
}

func (c *Cache) Put(k string, v int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		e.Value.(*entry).value = v
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&entry{k, v})
	if c.order.Len() > c.cap {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry).key)
	}
}

func (c *Cache) Get(k string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return 0, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*entry).value, true
}

func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
EOF

w "$r/lru/lru_test.go" <<'EOF'
package lru

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestPutGet(t *testing.T) {
	c, _ := New(200)
	for i := 0; i < 120; i++ {
		k := fmt.Sprintf("key-%03d", i)
		t.Run(k, func(t *testing.T) {
			c.Put(k, i)
			if v, ok := c.Get(k); !ok || v != i {
				t.Errorf("Get(%s) = %d, %v", k, v, ok)
			}
		})
	}
}

func TestEviction(t *testing.T) {
	for n := 1; n <= 30; n++ {
		n := n
		t.Run(fmt.Sprintf("capacity_%d", n), func(t *testing.T) {
			c, _ := New(n)
			for i := 0; i <= n; i++ {
				c.Put(fmt.Sprint(i), i)
			}
			if _, ok := c.Get("0"); ok {
				t.Errorf("oldest key kept past capacity %d", n)
			}
			if c.Len() != n {
				t.Errorf("Len = %d, want %d", c.Len(), n)
			}
		})
	}
}

func TestNewErrorOnZeroCapacity(t *testing.T) {
	if _, err := New(0); !errors.Is(err, ErrCapacity) {
		t.Errorf("New(0) error = %v", err)
	}
}

func TestConcurrentAccess(t *testing.T) {
	c, _ := New(64)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				c.Put(fmt.Sprint(g*1000+i), i)
				c.Get(fmt.Sprint(g*1000 + i/2))
			}
		}(g)
	}
	wg.Wait()
	if c.Len() != 64 {
		t.Errorf("Len = %d, want 64", c.Len())
	}
}
EOF
}

# ============================================================== dispatch (go-timeout)
write_dispatch() {
local r=$1
rm -rf "$r"; mkdir -p "$r"
w "$r/go.mod" <<'EOF'
module example.com/dispatch

go 1.19
EOF

w "$r/queue/queue.go" <<'EOF'
// Package queue runs jobs on a fixed pool of workers.
package queue

import (
	"errors"
	"sync"
)

var ErrClosed = errors.New("queue: closed")

type Job func() error

type Queue struct {
	jobs   chan Job
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	done   chan struct{}
	errs   []error
}

func New(workers, depth int) *Queue {
	q := &Queue{jobs: make(chan Job, depth), done: make(chan struct{})}
	for i := 0; i < workers; i++ {
		q.wg.Add(1)
		go q.work()
	}
	return q
}

func (q *Queue) work() {
	defer q.wg.Done()
	for j := range q.jobs {
		if err := j(); err != nil {
			q.mu.Lock()
			q.errs = append(q.errs, err)
			q.mu.Unlock()
		}
	}
}

// Submit queues a job; it blocks while the queue is full.
func (q *Queue) Submit(j Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	q.jobs <- j
	return nil
}

// Close stops accepting jobs.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
	}
}

// Drain closes the queue and waits until every queued job has run.
func (q *Queue) Drain() []error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.jobs)
		go func() {
			q.wg.Wait()
			close(q.done)
		}()
	}
	q.mu.Unlock()
	<-q.done
	return q.errs
}
EOF

w "$r/queue/queue_test.go" <<'EOF'
package queue

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestWorkers(t *testing.T) {
	for n := 1; n <= 16; n++ {
		n := n
		t.Run(fmt.Sprintf("workers_%d", n), func(t *testing.T) {
			t.Parallel()
			q := New(n, 8)
			var ran int64
			for i := 0; i < 100; i++ {
				q.Submit(func() error { atomic.AddInt64(&ran, 1); return nil })
			}
			q.Drain()
			if ran != 100 {
				t.Errorf("%d jobs ran, want 100", ran)
			}
		})
	}
}

func TestSubmitAfterCloseError(t *testing.T) {
	q := New(1, 1)
	q.Drain()
	if err := q.Submit(func() error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit after Drain: %v, want ErrClosed", err)
	}
}

func TestJobFailuresCollected(t *testing.T) {
	q := New(3, 4)
	for i := 0; i < 10; i++ {
		i := i
		q.Submit(func() error {
			if i%3 == 0 {
				return fmt.Errorf("job %d failed", i)
			}
			return nil
		})
	}
	if errs := q.Drain(); len(errs) != 4 {
		t.Errorf("%d errors collected, want 4", len(errs))
	}
}

func TestDrain(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		if errs := New(2, 2).Drain(); len(errs) != 0 {
			t.Errorf("errors from an empty queue: %v", errs)
		}
	})
	t.Run("with_jobs", func(t *testing.T) {
		q := New(2, 2)
		q.Submit(func() error { return nil })
		q.Drain()
	})
	t.Run("after_close", func(t *testing.T) {
		q := New(2, 2)
		q.Submit(func() error { return nil })
		q.Close()
		q.Drain()
	})
}

func TestSubmitBlocksWhenFull(t *testing.T) {
	q := New(1, 1)
	defer q.Drain()
	q.Submit(func() error { return nil })
}
EOF

w "$r/retry/retry.go" <<'EOF'
// Package retry runs an operation again after failures, with exponential backoff.
package retry

import "time"

type Policy struct {
	Base, Max time.Duration
	Attempts  int
	Sleep     func(time.Duration)
}

// Backoff is the wait before the given retry (0 is the first retry).
func (p Policy) Backoff(attempt int) time.Duration {
	d := p.Base
	for i := 0; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	return d
}

// Do calls op until it succeeds or the attempts are used up; it returns the last error.
func (p Policy) Do(op func() error) error {
	var err error
	for a := 0; a < p.Attempts; a++ {
		if err = op(); err == nil {
			return nil
		}
		if a < p.Attempts-1 {
			p.Sleep(p.Backoff(a))
		}
	}
	return err
}
EOF

w "$r/retry/retry_test.go" <<'EOF'
package retry

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	p := Policy{Base: 10 * time.Millisecond, Max: 5 * time.Second}
	for a := 0; a <= 40; a++ {
		a := a
		t.Run(fmt.Sprintf("attempt_%d", a), func(t *testing.T) {
			want := 10 * time.Millisecond
			for i := 0; i < a; i++ {
				want *= 2
				if want > 5*time.Second {
					want = 5 * time.Second
					break
				}
			}
			if got := p.Backoff(a); got != want {
				t.Errorf("Backoff(%d) = %v, want %v", a, got, want)
			}
		})
	}
}

func TestDoRetriesOnError(t *testing.T) {
	var slept []time.Duration
	p := Policy{Base: time.Second, Max: time.Minute, Attempts: 5, Sleep: func(d time.Duration) { slept = append(slept, d) }}
	calls := 0
	err := p.Do(func() error {
		calls++
		if calls < 3 {
			return errors.New("connection reset")
		}
		return nil
	})
	if err != nil || calls != 3 || len(slept) != 2 {
		t.Errorf("Do = %v after %d calls, %d sleeps", err, calls, len(slept))
	}
}

func TestDoGivesUpAfterFailures(t *testing.T) {
	p := Policy{Base: time.Second, Max: time.Minute, Attempts: 4, Sleep: func(time.Duration) {}}
	if err := p.Do(func() error { return errors.New("timeout") }); err == nil {
		t.Error("Do succeeded with an operation that always fails")
	}
}
EOF

w "$r/schedule/schedule.go" <<'EOF'
// Package schedule parses daily run times ("07:30") and finds the next run.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

type Daily struct{ Hour, Minute int }

func Parse(s string) (Daily, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		return Daily{}, fmt.Errorf("schedule: %q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return Daily{}, fmt.Errorf("schedule: %q is not a time of day", s)
	}
	return Daily{hh, mm}, nil
}

// Next is the first run strictly after t.
func (d Daily) Next(t time.Time) time.Time {
	n := time.Date(t.Year(), t.Month(), t.Day(), d.Hour, d.Minute, 0, 0, t.Location())
	if !n.After(t) {
		n = n.AddDate(0, 0, 1)
	}
	return n
}
EOF

w "$r/schedule/schedule_test.go" <<'EOF'
package schedule

import (
	"fmt"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for h := 0; h < 24; h++ {
		for _, m := range []int{0, 15, 30, 45, 59} {
			s := fmt.Sprintf("%02d:%02d", h, m)
			h, m := h, m
			t.Run(s, func(t *testing.T) {
				d, err := Parse(s)
				if err != nil || d.Hour != h || d.Minute != m {
					t.Errorf("Parse(%q) = %+v, %v", s, d, err)
				}
			})
		}
	}
}

func TestParseError(t *testing.T) {
	for _, s := range []string{"", "7", "24:00", "12:60", "ab:cd", "-1:30"} {
		s := s
		t.Run("input_"+s, func(t *testing.T) {
			if _, err := Parse(s); err == nil {
				t.Errorf("Parse(%q) accepted", s)
			}
		})
	}
}

func TestNext(t *testing.T) {
	base := time.Date(2024, 3, 9, 10, 0, 0, 0, time.UTC)
	for h := 0; h < 24; h++ {
		h := h
		t.Run(fmt.Sprintf("at_%02dh", h), func(t *testing.T) {
			got := Daily{h, 0}.Next(base)
			if !got.After(base) || got.Sub(base) > 24*time.Hour {
				t.Errorf("Next(%v) = %v", base, got)
			}
		})
	}
}
EOF
}

# ============================================================== geokit (go-pass)
write_geokit() {
local r=$1
rm -rf "$r"; mkdir -p "$r"
w "$r/go.mod" <<'EOF'
module example.com/geokit

go 1.19
EOF

w "$r/geohash/geohash.go" <<'EOF'
// Package geohash encodes coordinates as geohash strings.
package geohash

import (
	"errors"
	"strings"
)

const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

var ErrInvalid = errors.New("geohash: invalid character")
var ErrPrecision = errors.New("geohash: precision out of range")

// Encode returns the geohash of (lat, lon) with the given number of characters.
func Encode(lat, lon float64, precision int) (string, error) {
	if precision < 1 || precision > 12 {
		return "", ErrPrecision
	}
	latR, lonR := [2]float64{-90, 90}, [2]float64{-180, 180}
	var b strings.Builder
	bit, ch, even := 0, 0, true
	for b.Len() < precision {
		if even {
			mid := (lonR[0] + lonR[1]) / 2
			if lon >= mid {
				ch = ch<<1 | 1
				lonR[0] = mid
			} else {
				ch <<= 1
				lonR[1] = mid
			}
		} else {
			mid := (latR[0] + latR[1]) / 2
			if lat >= mid {
				ch = ch<<1 | 1
				latR[0] = mid
			} else {
				ch <<= 1
				latR[1] = mid
			}
		}
		even = !even
		if bit++; bit == 5 {
			b.WriteByte(alphabet[ch])
			bit, ch = 0, 0
		}
	}
	return b.String(), nil
}

// Decode returns the centre of the cell of a geohash.
func Decode(h string) (lat, lon float64, err error) {
	latR, lonR := [2]float64{-90, 90}, [2]float64{-180, 180}
	even := true
	for _, c := range h {
		v := strings.IndexRune(alphabet, c)
		if v < 0 {
			return 0, 0, ErrInvalid
		}
		for m := 16; m > 0; m >>= 1 {
			r := &latR
			if even {
				r = &lonR
			}
			mid := (r[0] + r[1]) / 2
			if v&m != 0 {
				r[0] = mid
			} else {
				r[1] = mid
			}
			even = !even
		}
	}
	return (latR[0] + latR[1]) / 2, (lonR[0] + lonR[1]) / 2, nil
}
EOF

w "$r/geohash/geohash_test.go" <<'EOF'
package geohash

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestEncode(t *testing.T) {
	for _, c := range []struct {
		name     string
		lat, lon float64
		want     string
	}{
		{"origin", 0, 0, "s0000"},
		{"north_pole", 90, 0, "upbpb"},
		{"south_west", -90, -180, "00000"},
		{"jutland", 57.64911, 10.40744, "u4pru"},
	} {
		c := c
		t.Run(c.name, func(t *testing.T) {
			got, err := Encode(c.lat, c.lon, 5)
			if err != nil || got != c.want {
				t.Errorf("Encode(%v, %v) = %q, %v; want %q", c.lat, c.lon, got, err, c.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for i := 0; i < 180; i++ {
		lat := -85 + float64(i)*0.95
		lon := -179 + float64(i*37%358)
		i := i
		t.Run(fmt.Sprintf("point_%03d", i), func(t *testing.T) {
			h, err := Encode(lat, lon, 9)
			if err != nil {
				t.Fatal(err)
			}
			la, lo, err := Decode(h)
			if err != nil || math.Abs(la-lat) > 1e-3 || math.Abs(lo-lon) > 1e-3 {
				t.Errorf("point %d: Decode(Encode(%v, %v)) = %v, %v, %v", i, lat, lon, la, lo, err)
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	for _, h := range []string{"abc", "u4pr!", "ILO"} {
		h := h
		t.Run(h, func(t *testing.T) {
			if _, _, err := Decode(h); !errors.Is(err, ErrInvalid) {
				t.Errorf("Decode(%q) error = %v, want ErrInvalid", h, err)
			}
		})
	}
}

func TestInvalidPrecisionFails(t *testing.T) {
	for _, p := range []int{0, 13, -1} {
		if _, err := Encode(1, 1, p); !errors.Is(err, ErrPrecision) {
			t.Errorf("Encode precision %d: %v", p, err)
		}
	}
}
EOF

w "$r/distance/distance.go" <<'EOF'
// Package distance measures great-circle distances.
package distance

import "math"

const earthRadiusKm = 6371.0088

type Point struct{ Lat, Lon float64 }

func rad(d float64) float64 { return d * math.Pi / 180 }

// Haversine is the great-circle distance between a and b in kilometres.
func Haversine(a, b Point) float64 {
	dLat, dLon := rad(b.Lat-a.Lat), rad(b.Lon-a.Lon)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(rad(a.Lat))*math.Cos(rad(b.Lat))*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(h))
}
EOF

w "$r/distance/distance_test.go" <<'EOF'
package distance

import (
	"fmt"
	"math"
	"testing"
)

var cities = map[string]Point{
	"paris": {48.8566, 2.3522}, "berlin": {52.52, 13.405}, "madrid": {40.4168, -3.7038},
	"rome": {41.9028, 12.4964}, "oslo": {59.9139, 10.7522}, "lisbon": {38.7223, -9.1393},
	"vienna": {48.2082, 16.3738}, "dublin": {53.3498, -6.2603},
}

func TestSymmetric(t *testing.T) {
	for a, pa := range cities {
		for b, pb := range cities {
			if a >= b {
				continue
			}
			pa, pb := pa, pb
			t.Run(fmt.Sprintf("%s_%s", a, b), func(t *testing.T) {
				if d1, d2 := Haversine(pa, pb), Haversine(pb, pa); math.Abs(d1-d2) > 1e-9 {
					t.Errorf("asymmetric: %v vs %v", d1, d2)
				}
			})
		}
	}
}

func TestKnownDistance(t *testing.T) {
	t.Logf("paris-berlin: %.1f km", Haversine(cities["paris"], cities["berlin"]))
	if d := Haversine(cities["paris"], cities["berlin"]); math.Abs(d-878) > 5 {
		t.Errorf("paris-berlin = %.1f km, want about 878", d)
	}
}

func TestZeroDistanceNoError(t *testing.T) {
	if d := Haversine(cities["rome"], cities["rome"]); d != 0 {
		t.Errorf("rome-rome = %v", d)
	}
}
EOF
}

# ============================================================== running and truth
step() {  # step LOG CMD...: print the command as a CI shell does, then its output; the job goes on
    local log=$1; shift
    echo "+ $*" >> "$log"
    "$@" >> "$log" 2>&1 || true
}

new_case() {  # new_case NAME: an empty fixture folder
    rm -rf "${OUT:?}/$1"
    mkdir -p "$OUT/$1"
}

check_project() {  # check_project DIR: the project survived the run (nothing else removed it)
    [ -f "$1/go.mod" ] || { echo "go.sh: $1 vanished during the run; run again" >&2; exit 1; }
}

write_truth_py() {
cat > "$TMP/truth.py" <<'PYEOF'
"""Derives truth.json (and the trimmed go test -json report) of one Go fixture.

  truth.py CASE_DIR PROJECT_DIR GOROOT TOOL COMMAND RAW_TEST_JSON [RAW_STDERR...]

RAW_TEST_JSON is the stdout of `go test -json` (Go 1.19 prints the "[build failed]"
result of a package as a plain line among the JSON events); RAW_STDERR files hold the
compiler and vet messages (plain `path.go:L:C: message` lines, the only form those tools
have here) and CASE_DIR/vet.json the findings of `go vet -json` when present.
"""
import json
import os
import re
import sys

case, project, goroot, tool, command, raw_json, *stderr_files = sys.argv[1:]
log = open(os.path.join(case, "job.log"), encoding="utf-8").read()
log_lines = log.splitlines()

events, plain = [], []
for line in open(raw_json, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("{"):
        events.append(json.loads(line))
    elif line.strip():
        plain.append(line)

# failing tests: "fail" events that name a test; hung tests (a "run" event and no end) of a failed package
ended, started, failed_pkgs = set(), [], set()
failing = []
for e in events:
    t = e.get("Test")
    if e["Action"] == "fail" and not t:
        failed_pkgs.add(e["Package"])
    if not t:
        continue
    key = (e["Package"], t)
    if e["Action"] == "run":
        started.append(key)
    elif e["Action"] in ("pass", "fail", "skip"):
        ended.add(key)
        if e["Action"] == "fail" and t not in failing:
            failing.append(t)
# a test binary killed by -timeout: test2json sees no end for the tests still running. A
# finished subtest's "--- PASS" is printed with its parent's result, so it has no end
# either: the hung ones are the last test started without an end and its parents.
hung = []
for pkg in failed_pkgs:
    open_tests = [t for p, t in started if p == pkg and (p, t) not in ended]
    if open_tests:
        last = open_tests[-1]
        hung += [(pkg, t) for t in open_tests if t == last or last.startswith(t + "/")]
for _, t in hung:
    if t not in failing:
        failing.append(t)

# error locations
locs = []
def add(loc):
    if loc not in locs:
        locs.append(loc)

frame = re.compile(r"^\s+(/\S+\.go:\d+) \+0x[0-9a-f]+$")
def user_frame(m):
    return m and not m.group(1).startswith(goroot + "/")

out_by_test = {}
pkg_output = {}
for e in events:
    if e["Action"] != "output":
        continue
    pkg_output.setdefault(e["Package"], []).append(e["Output"].rstrip("\n"))
    if e.get("Test"):
        out_by_test.setdefault((e["Package"], e["Test"]), []).append(e["Output"].rstrip("\n"))
failing_keys = {(e["Package"], e["Test"]) for e in events if e["Action"] == "fail" and e.get("Test")}
for key, lines in out_by_test.items():
    if key not in failing_keys:
        continue
    for l in lines:
        m = re.match(r"^\s+([\w.\-]+\.go:\d+): ", l)
        if m and m.group(1).split(":")[0] != "testing.go":
            add(m.group(1))
hung_names = {t for _, t in hung}
for pkg, lines in pkg_output.items():
    for i, l in enumerate(lines):
        # a panic: the first frame outside GOROOT after the frame of panic()
        if l.startswith("panic(") and "test timed out" not in "".join(lines[max(0, i - 40):i]):
            for f in lines[i + 1:i + 12]:
                m = frame.match(f)
                if user_frame(m):
                    add(m.group(1))
                    break
        # a data race: the first frame outside GOROOT under each access
        if re.match(r"^(Previous )?(read|write|Read|Write) at 0x[0-9a-f]+ by ", l):
            for f in lines[i + 1:i + 12]:
                m = frame.match(f)
                if user_frame(m):
                    add(m.group(1))
                    break
        # a timeout: in each goroutine of a hung test, its first frame outside GOROOT and
        # the frame of the test's function
        m = re.match(r"^[\w.\-/]+\.(Test\w+?)(?:\.func\d+)*\(", l)
        if m and m.group(1) in hung_names and i + 1 < len(lines):
            start = i
            while start > 0 and lines[start - 1].strip() and not lines[start - 1].startswith("goroutine "):
                start -= 1
            for f in lines[start:i + 2]:
                fm = frame.match(f)
                if user_frame(fm):
                    add(fm.group(1))
                    break
            fm = frame.match(lines[i + 1])
            if user_frame(fm):
                add(fm.group(1))

for path in stderr_files:
    for l in open(path, encoding="utf-8"):
        m = re.match(r"^(?:vet: )?(\S+\.go:\d+:\d+): ", l)
        if m:
            add(m.group(1))
vet_path = os.path.join(case, "vet.json")
if os.path.exists(vet_path):
    for pkg, analyzers in json.load(open(vet_path)).items():
        if pkg == "errors":
            continue
        for name, diags in analyzers.items():
            if isinstance(diags, list):
                for d in diags:
                    add(d["posn"])
    for err in json.load(open(vet_path)).get("errors", []):
        m = re.match(r"^(?:vet: )?(\S+\.go:\d+:\d+): ", err["message"])
        if m:
            add(m.group(1))

# totals: each package's result line, looked up in the console log by package
totals = []
pkgs = [e["Package"] for e in events if not e.get("Test") and e["Action"] in ("pass", "fail")]
pkgs += [m.group(1) for m in (re.match(r"^FAIL\s+(\S+) \[build failed\]$", p) for p in plain) if m]
for pkg in pkgs:
    rx = re.compile(r"^(ok|FAIL)\s+" + re.escape(pkg) + r"(\s|$)")
    hits = [l.strip() for l in log_lines if rx.match(l)]
    assert hits, (pkg, "no result line in job.log")
    for h in hits:
        if h not in totals:
            totals.append(h)

truth = {"tool": tool, "command": command, "failing_tests": failing, "error_locations": locs,
         "error_codes": [], "totals": totals}
for key in ("failing_tests", "error_locations", "error_codes", "totals"):
    for s in truth[key]:
        assert s in log, f"{case}: {key} {s!r} not in job.log"
with open(os.path.join(case, "truth.json"), "w", encoding="utf-8") as f:
    json.dump(truth, f, indent=2, ensure_ascii=False)
    f.write("\n")

# the report kept: test and package results, the output of failing tests, plain lines
keep = []
for e in events:
    e.pop("Time", None)
    t = e.get("Test")
    key = (e["Package"], t)
    if e["Action"] == "output":
        if (t and (key in failing_keys or key in hung)) or (not t and e["Package"] in failed_pkgs):
            keep.append(e)
    elif e["Action"] in ("fail", "skip") or not t or key in hung:
        keep.append(e)
with open(os.path.join(case, "report.jsonl"), "w", encoding="utf-8") as f:
    for e in keep:
        f.write(json.dumps(e, ensure_ascii=False) + "\n")
    for p in plain:
        f.write(json.dumps({"Action": "plain", "Output": p}) + "\n")
PYEOF
}

vet_json() {  # vet_json RAW OUT PROJECT: the concatenated `go vet -json` output as one JSON object
    python3 - "$1" "$2" "$3" <<'PYEOF'
import json, os, sys
raw, out, project = sys.argv[1:]
text = open(raw, encoding="utf-8").read()
result, errors, pkg = {}, [], None
dec = json.JSONDecoder()
i = 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    if text.startswith("# ", i):
        end = text.index("\n", i)
        pkg = text[i + 2:end].strip()
        i = end + 1
        continue
    if text[i] == "{":
        obj, i = dec.raw_decode(text, i)
        for p, analyzers in obj.items():
            for name, diags in analyzers.items():
                for d in diags if isinstance(diags, list) else []:
                    rel = os.path.relpath(d["posn"], project)
                    d["posn"] = rel if "/" in rel.split(":")[0] else "./" + rel
            result.setdefault(p, {}).update(analyzers)
        continue
    end = text.find("\n", i)
    end = len(text) if end < 0 else end
    errors.append({"package": pkg, "message": text[i:end]})
    i = end + 1
if errors:
    result["errors"] = errors
json.dump(result, open(out, "w", encoding="utf-8"), indent=1)
PYEOF
}

write_truth_py

# ---------------------------------------------------------------- go-test-verbose
P=$WORK/storefront
write_storefront "$P"
C=go-test-verbose; new_case $C; L=$OUT/$C/job.log
( cd "$P"
  step "$L" go version
  step "$L" go build ./...
  step "$L" go vet ./...
  step "$L" go test -v ./...
  go test -json -count=1 ./... > "$TMP/$C.json" 2> "$TMP/$C.err" || true )
check_project "$P"
python3 "$TMP/truth.py" "$OUT/$C" "$P" "$GOROOT" "go test" "go test -v ./..." "$TMP/$C.json"

# ---------------------------------------------------------------- go-build-vet
P=$WORK/tally
write_tally "$P"
C=go-build-vet; new_case $C; L=$OUT/$C/job.log
( cd "$P"
  step "$L" go version
  step "$L" gofmt -l .
  step "$L" go build ./...
  step "$L" go vet ./...
  step "$L" go test ./...
  go build ./... 2> "$TMP/$C.build" || true
  go vet -json ./... 2> "$TMP/$C.vet" || true
  go test -json -count=1 ./... > "$TMP/$C.json" 2> "$TMP/$C.err" || true )
vet_json "$TMP/$C.vet" "$OUT/$C/vet.json" "$P"
cat "$TMP/$C.build" "$TMP/$C.err" > "$OUT/$C/compiler.txt"
check_project "$P"
python3 "$TMP/truth.py" "$OUT/$C" "$P" "$GOROOT" "go build, go vet, go test" "go build ./... && go vet ./... && go test ./..." \
    "$TMP/$C.json" "$OUT/$C/compiler.txt"

# ---------------------------------------------------------------- go-race
P=$WORK/throttle
write_throttle "$P"
C=go-race; new_case $C; L=$OUT/$C/job.log
( cd "$P"
  step "$L" go version
  step "$L" go vet ./...
  step "$L" go test -race -v ./...
  go test -race -json -count=1 ./... > "$TMP/$C.json" 2> "$TMP/$C.err" || true )
check_project "$P"
python3 "$TMP/truth.py" "$OUT/$C" "$P" "$GOROOT" "go test -race" "go test -race -v ./..." "$TMP/$C.json"

# ---------------------------------------------------------------- go-timeout
P=$WORK/dispatch
write_dispatch "$P"
C=go-timeout; new_case $C; L=$OUT/$C/job.log
( cd "$P"
  step "$L" go version
  step "$L" go test -v -timeout 3s ./...
  go test -json -count=1 -timeout 3s ./... > "$TMP/$C.json" 2> "$TMP/$C.err" || true )
check_project "$P"
python3 "$TMP/truth.py" "$OUT/$C" "$P" "$GOROOT" "go test" "go test -v -timeout 3s ./..." "$TMP/$C.json"

# ---------------------------------------------------------------- go-pass
P=$WORK/geokit
write_geokit "$P"
C=go-pass; new_case $C; L=$OUT/$C/job.log
( cd "$P"
  step "$L" go version
  step "$L" go vet ./...
  step "$L" go test -v -cover ./...
  go test -json -count=1 -cover ./... > "$TMP/$C.json" 2> "$TMP/$C.err" || true )
check_project "$P"
python3 "$TMP/truth.py" "$OUT/$C" "$P" "$GOROOT" "go test" "go test -v -cover ./..." "$TMP/$C.json"

du -b "$OUT"/go-*/* | sort -k2
