#!/usr/bin/env bash
# Generates the jvm fixtures (tokopt_pipeline_tests/data/ecosystems/jvm-*): small Java projects
# with failing tests and compile errors, built with the real tools (Maven 3 + Surefire 2.22,
# javac 17, the JUnit Platform console launcher), as a CI job would run them.
#
#   bench/ecosystems/jvm.sh [OUT_DIR]
#
# Needs Debian 12 with openjdk-17-jdk and maven; installs the Debian Maven repository packages
# (junit4, junit5, surefire, compiler/resources plugins) and builds offline against
# /usr/share/maven-repo. The projects are written to a fixed directory so paths in the logs
# are short and stable (/tmp/jvm-ci/<project>).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../../tokopt_pipeline_tests/data/ecosystems}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CI=/tmp/jvm-ci
M2=/tmp/jvm-fixtures-m2
export LANG=C.UTF-8 LC_ALL=C.UTF-8 MAVEN_OPTS="-Dstyle.color=never"

# --- tools -------------------------------------------------------------------------------------
need=()
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || need+=(maven)
[ -f /usr/share/java/junit-platform-console-standalone.jar ] || need+=(junit5)
[ -f /usr/share/java/junit4.jar ] || need+=(junit4)
[ -d /usr/share/maven-repo/org/apache/maven/plugins/maven-surefire-plugin/2.22.3 ] || need+=(libsurefire-java)
[ -d /usr/share/maven-repo/org/apache/maven/plugins/maven-compiler-plugin/3.10.1 ] || need+=(libmaven-compiler-plugin-java)
[ -d /usr/share/maven-repo/org/apache/maven/plugins/maven-resources-plugin/3.3.0 ] || need+=(libmaven-resources-plugin-java)
[ -d /usr/share/maven-repo/org/apache/maven/plugins/maven-jar-plugin/3.3.0 ] || need+=(libmaven-jar-plugin-java)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "${need[@]}"
fi

# Maven resolves everything from Debian's repository (no network): a mirror of every repository.
mkdir -p "$CI" "$M2"
cat > "$M2/settings.xml" <<EOF
<settings>
  <localRepository>$M2/repository</localRepository>
  <mirrors><mirror><id>debian</id><mirrorOf>*</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>
</settings>
EOF
# Each project points Maven at it in .mvn/maven.config, so the logged command is the usual one.
maven_config() { mkdir -p .mvn; echo "--settings=$M2/settings.xml" > .mvn/maven.config; }

# --- job log helpers ---------------------------------------------------------------------------
# step CMD: print CMD as a CI shell does (`+ cmd`), run it, append its output to $LOG; never stops.
step() {
  printf '+ %s\n' "$1" >> "$LOG"
  set +e
  bash -c "$1" >> "$LOG" 2>&1
  set -e
  return 0
}

# warm_up CMD: run CMD once unlogged so that the logged run resolves nothing, then drop its output.
warm_up() {
  bash -c "$1" > /dev/null 2>&1 || true
  find . -name target -type d -prune -exec rm -rf {} +
}

# A pom plugin section shared by the projects (versions from Debian's repository).
plugins_xml() {
  cat <<'EOF'
  <build>
    <pluginManagement>
      <plugins>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-clean-plugin</artifactId><version>3.2.0</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.0</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.10.1</version>
          <configuration><release>17</release><showWarnings>true</showWarnings><compilerArgs><arg>-Xlint:deprecation</arg><arg>-Xlint:unchecked</arg></compilerArgs></configuration></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>2.22.3</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.3.0</version></plugin>
      </plugins>
    </pluginManagement>
  </build>
EOF
}

jupiter_deps() {
  cat <<'EOF'
  <dependencies>
    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter-api</artifactId><version>5.9.2</version><scope>test</scope></dependency>
    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter-params</artifactId><version>5.9.2</version><scope>test</scope></dependency>
    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter-engine</artifactId><version>5.9.2</version><scope>test</scope></dependency>
EOF
}

# module_pom PARENT ARTIFACT "extra dependency xml" "extra build xml"
module_pom() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.acme</groupId><artifactId>$1</artifactId><version>1.0.0</version></parent>
  <artifactId>$2</artifactId>
$3
$4
</project>
EOF
}

parent_pom() { # ARTIFACT MODULES...
  local a=$1; shift
  {
    cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>$a</artifactId>
  <version>1.0.0</version>
  <packaging>pom</packaging>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <modules>
EOF
    for m in "$@"; do echo "    <module>$m</module>"; done
    echo "  </modules>"
    plugins_xml
    echo "</project>"
  } 
}

# Java's console logger used by the sample code (a fixed format, no clock).
log_java() { # PACKAGE
  cat <<EOF
package $1;

public final class Log {
    private Log() {}

    public static void info(String logger, String msg) { System.out.println("INFO  [main] " + logger + " - " + msg); }

    public static void warn(String logger, String msg) { System.out.println("WARN  [main] " + logger + " - " + msg); }

    public static void error(String logger, String msg) { System.out.println("ERROR [main] " + logger + " - " + msg); }
}
EOF
}

# =============================================================================================
# jvm-maven-surefire: a Maven reactor (JUnit 5 and JUnit 4 modules) with failing tests.
# =============================================================================================
make_shop() {
  local P=$CI/shop
  rm -rf "$P"; mkdir -p "$P"; cd "$P"
  parent_pom shop shop-model shop-legacy shop-api shop-app > pom.xml
  maven_config

  # --- shop-model: JUnit 5, full stack traces ---
  mkdir -p shop-model
  module_pom shop shop-model "$(jupiter_deps)
  </dependencies>" "  <build><plugins><plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId>
    <configuration><trimStackTrace>false</trimStackTrace></configuration></plugin></plugins></build>" > shop-model/pom.xml
  local M=shop-model/src/main/java/com/acme/shop/model T=shop-model/src/test/java/com/acme/shop/model
  mkdir -p $M $T
  log_java com.acme.shop.model > $M/Log.java
  cat > $M/Money.java <<'EOF'
package com.acme.shop.model;

import java.math.BigDecimal;
import java.math.RoundingMode;

public record Money(BigDecimal amount, String currency) {
    public static Money of(String amount, String currency) {
        return new Money(new BigDecimal(amount).setScale(2, RoundingMode.HALF_UP), currency);
    }

    public Money plus(Money other) {
        if (!currency.equals(other.currency)) {
            throw new IllegalArgumentException("currency mismatch: " + currency + " vs " + other.currency);
        }
        return new Money(amount.add(other.amount), currency);
    }

    public Money times(int n) {
        return new Money(amount.multiply(BigDecimal.valueOf(n)), currency);
    }

    public Money percentOff(int pct) {
        BigDecimal off = amount.multiply(BigDecimal.valueOf(pct)).divide(BigDecimal.valueOf(100), 2, RoundingMode.HALF_UP);
        return new Money(amount.subtract(off), currency);
    }

    public String format() {
        String plain = amount.toPlainString();
        switch (currency) {
            case "EUR": return "EUR " + plain.replace('.', ',');
            case "USD": return "$" + plain;
            case "GBP": return "GBP " + plain;
            default: return plain + " " + currency;
        }
    }
}
EOF
  cat > $M/OrderLine.java <<'EOF'
package com.acme.shop.model;

public final class OrderLine {
    private final String sku;
    private final int qty;
    private final Money unit;
    private final String note;

    public OrderLine(String sku, int qty, Money unit) {
        this(sku, qty, unit, null);
    }

    public OrderLine(String sku, int qty, Money unit, String note) {
        this.sku = sku;
        this.qty = qty;
        this.unit = unit;
        this.note = note;
    }

    public String sku() { return sku; }

    public int qty() { return qty; }

    public String note() { return note; }

    public Money total() { return unit.times(qty); }

    public OrderLine withQty(int newQty) {
        return new OrderLine(sku, newQty, unit, note.trim());
    }
}
EOF
  cat > $M/Order.java <<'EOF'
package com.acme.shop.model;

import java.util.ArrayList;
import java.util.List;

public final class Order {
    private final String id;
    private final List<OrderLine> lines = new ArrayList<>();
    private String discountCode;
    private boolean open = true;

    public Order(String id) {
        this.id = id;
        Log.info("model.Order", "order " + id + " created");
    }

    public Order add(OrderLine line) {
        lines.add(line);
        Log.info("model.Order", "order " + id + " add " + line.sku() + " x" + line.qty());
        return this;
    }

    public Order discount(String code) {
        this.discountCode = code;
        return this;
    }

    public boolean isOpen() { return open; }

    public void pay(boolean approved) {
        if (!approved) {
            Log.warn("model.Order", "order " + id + " payment declined, order stays open");
            return;
        }
        open = false;
        Log.info("model.Order", "order " + id + " paid");
    }

    public Money subtotal() {
        Money sum = Money.of("0", "EUR");
        for (OrderLine l : lines) {
            sum = sum.plus(l.total());
        }
        return sum;
    }

    public Money total() {
        Money sum = subtotal();
        if (discountCode != null && discountCode.startsWith("SAVE")) {
            sum = sum.percentOff(Integer.parseInt(discountCode.substring(4)));
        }
        Log.info("model.Order", "order " + id + " total " + sum.format());
        return sum;
    }
}
EOF
  cat > $M/StockUnavailableException.java <<'EOF'
package com.acme.shop.model;

public class StockUnavailableException extends Exception {
    public StockUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
EOF
  cat > $M/WarehouseFeed.java <<'EOF'
package com.acme.shop.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;

public final class WarehouseFeed {
    private final BufferedReader reader;

    public WarehouseFeed(BufferedReader reader) {
        this.reader = reader;
    }

    public int available(String sku) throws StockUnavailableException {
        try {
            return Integer.parseInt(nextRecord().split(";")[1]);
        } catch (UncheckedIOException e) {
            throw new StockUnavailableException("stock level unknown for " + sku, e);
        }
    }

    private String nextRecord() {
        try {
            return reader.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("warehouse feed unreadable", e);
        }
    }
}
EOF
  cat > $M/Inventory.java <<'EOF'
package com.acme.shop.model;

public final class Inventory {
    private final WarehouseFeed feed;

    public Inventory(WarehouseFeed feed) {
        this.feed = feed;
    }

    public int reserve(String sku, int qty) {
        if (qty == 0) {
            return 0;
        }
        try {
            int available = feed.available(sku);
            Log.info("model.Inventory", "reserved " + qty + " of " + available + " x " + sku);
            return Math.min(qty, available);
        } catch (StockUnavailableException e) {
            throw new IllegalStateException("could not reserve " + qty + " x " + sku, e);
        }
    }
}
EOF
  cat > $M/Warehouse.java <<'EOF'
package com.acme.shop.model;

public record Warehouse(String code, int capacity) {
    public Warehouse {
        if (code == null || code.isBlank()) {
            throw new IllegalArgumentException("warehouse code is required");
        }
    }
}
EOF
  cat > $M/PriceParser.java <<'EOF'
package com.acme.shop.model;

import java.math.BigDecimal;

public final class PriceParser {
    private PriceParser() {}

    /** Parses "1,50", "2.000,00" or "1.50" into a decimal. */
    public static BigDecimal parse(String text) {
        String t = text.trim();
        if (t.contains(",")) {
            t = t.replace(".", "").replace(',', '.');
        }
        return new BigDecimal(t);
    }
}
EOF
  cat > $M/Catalog.java <<'EOF'
package com.acme.shop.model;

import java.io.InputStream;

public final class Catalog {
    private Catalog() {}

    public static Catalog load(String resource) {
        InputStream in = Catalog.class.getResourceAsStream("/" + resource);
        if (in == null) {
            throw new IllegalStateException("catalog fixture missing: " + resource);
        }
        return new Catalog();
    }
}
EOF

  cat > $T/OrderTotalsTest.java <<'EOF'
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class OrderTotalsTest {
    private Order order() {
        return new Order("o-100").add(new OrderLine("A-100", 2, Money.of("50.00", "EUR")));
    }

    @Test
    void computesSubtotal() {
        assertEquals(new BigDecimal("100.00"), order().subtotal().amount());
    }

    @Test
    void appliesDiscountCode() {
        assertEquals(new BigDecimal("90.00"), order().discount("SAVE10").total().amount());
    }

    @Test
    void appliesDiscountCodeCaseInsensitively() {
        assertEquals(new BigDecimal("90.00"), order().discount("save10").total().amount());
    }

    @Test
    void ignoresExpiredCode() {
        assertEquals(new BigDecimal("100.00"), order().discount("SPRING").total().amount());
    }
}
EOF
  cat > $T/OrderLineTest.java <<'EOF'
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OrderLineTest {
    @Test
    void changesQuantityKeepingNote() {
        OrderLine line = new OrderLine("A-100", 1, Money.of("5.00", "EUR"), " gift ");
        assertEquals("gift", line.withQty(3).note());
    }

    @Test
    void changesQuantityWithoutNote() {
        OrderLine line = new OrderLine("A-100", 1, Money.of("5.00", "EUR"));
        assertEquals(3, line.withQty(3).qty());
    }
}
EOF
  cat > $T/InventoryTest.java <<'EOF'
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class InventoryTest {
    @Test
    void reservesNothingForZeroQuantity() {
        Inventory inventory = new Inventory(new WarehouseFeed(new BufferedReader(new StringReader(""))));
        assertEquals(0, inventory.reserve("A-100", 0));
    }

    @Test
    void reservesFromOpenFeed() {
        Inventory inventory = new Inventory(new WarehouseFeed(new BufferedReader(new StringReader("A-100;7\n"))));
        assertEquals(3, inventory.reserve("A-100", 3));
    }

    @Test
    void reservesStockFromWarehouseFeed() throws IOException {
        BufferedReader reader = new BufferedReader(new StringReader("A-100;12\n"));
        reader.close();
        Inventory inventory = new Inventory(new WarehouseFeed(reader));
        assertEquals(3, inventory.reserve("A-100", 3));
    }
}
EOF
  cat > $T/WarehouseTest.java <<'EOF'
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

class WarehouseTest {
    @Test
    void acceptsZeroCapacity() {
        assertEquals(0, new Warehouse("W1", 0).capacity());
    }

    @Test
    void rejectsBlankCode() {
        assertThrows(IllegalArgumentException.class, () -> new Warehouse(" ", 10));
    }

    @Test
    void rejectsNegativeCapacity() {
        assertThrows(IllegalArgumentException.class, () -> new Warehouse("W2", -5));
    }

    @Disabled("flaky on shared runners, see SHOP-412")
    @Test
    void reservesConcurrently() {
    }
}
EOF
  cat > $T/PriceParserTest.java <<'EOF'
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PriceParserTest {
    @ParameterizedTest
    @CsvSource({"'1,50', 1.50", "'2.000,00', 2000.00", "1.50, 1.50", "'3 500,10', 3500.10"})
    void parsesLocalizedPrices(String text, BigDecimal expected) {
        assertEquals(expected, PriceParser.parse(text));
    }
}
EOF
  cat > $T/CatalogCacheTest.java <<'EOF'
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CatalogCacheTest {
    static Catalog catalog;

    @BeforeAll
    static void loadCatalog() {
        catalog = Catalog.load("catalog-v2.json");
    }

    @Test
    void findsProductBySku() {
        assertNotNull(catalog);
    }

    @Test
    void cachesLookups() {
        assertNotNull(catalog);
    }
}
EOF
  cat > $T/MoneyTest.java <<'EOF'
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MoneyTest {
    @Test
    void addsSameCurrency() {
        assertEquals(Money.of("3.50", "EUR"), Money.of("1.25", "EUR").plus(Money.of("2.25", "EUR")));
    }

    @Test
    void rejectsMixedCurrencies() {
        assertThrows(IllegalArgumentException.class, () -> Money.of("1", "EUR").plus(Money.of("1", "USD")));
    }

    @Test
    void formatsAmountsInAllCurrencies() {
        assertAll("formats",
            () -> assertEquals("EUR 12,50", Money.of("12.5", "EUR").format()),
            () -> assertEquals("$12.50", Money.of("12.5", "USD").format()),
            () -> assertEquals("JPY 1250", Money.of("1250", "JPY").format()),
            () -> assertEquals("12,50 CHF", Money.of("12.5", "CHF").format()));
    }
}
EOF
  local regions=(Nordics Benelux Iberia Alps Baltics Balkans Britain Ireland France Italy Poland Danube Aegean Adriatic
                 Carpathia Bavaria Saxony Silesia Bohemia Tyrol)
  for R in "${regions[@]}"; do
    local r; r=$(echo "$R" | tr 'A-Z' 'a-z')
    cat > $T/${R}OrderTest.java <<EOF
package com.acme.shop.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class ${R}OrderTest {
    private Order order(String id) {
        return new Order("$r-" + id)
            .add(new OrderLine("A-100", 2, Money.of("12.50", "EUR")))
            .add(new OrderLine("B-200", 1, Money.of("5.00", "EUR")));
    }

    @Test
    void computesSubtotal() {
        assertEquals(new BigDecimal("30.00"), order("1").subtotal().amount());
    }

    @Test
    void appliesUppercaseDiscount() {
        assertEquals(new BigDecimal("27.00"), order("2").discount("SAVE10").total().amount());
    }

    @Test
    void ignoresUnknownDiscount() {
        assertEquals(new BigDecimal("30.00"), order("3").discount("WELCOME").total().amount());
    }

    @Test
    void emptyOrderIsZero() {
        assertEquals(new BigDecimal("0.00"), new Order("$r-4").total().amount());
    }

    @Test
    void rejectsCurrencyMismatch() {
        assertThrows(IllegalArgumentException.class,
            () -> order("5").add(new OrderLine("C-300", 1, Money.of("1.00", "USD"))).subtotal());
    }

    @Test
    void formatsTotal() {
        assertEquals("EUR 30,00", order("6").total().format());
    }

    @Test
    void failedPaymentKeepsOrderOpen() {
        Order o = order("7");
        o.pay(false);
        assertTrue(o.isOpen());
    }

    @Test
    void paymentClosesOrder() {
        Order o = order("8");
        o.pay(true);
        assertFalse(o.isOpen());
    }
}
EOF
  done

  # --- shop-legacy: JUnit 4 (trimmed stack traces, Surefire's default) ---
  mkdir -p shop-legacy
  module_pom shop shop-legacy "  <dependencies>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version><scope>test</scope></dependency>
  </dependencies>" "" > shop-legacy/pom.xml
  M=shop-legacy/src/main/java/com/acme/shop/legacy; T=shop-legacy/src/test/java/com/acme/shop/legacy
  mkdir -p $M $T
  log_java com.acme.shop.legacy > $M/Log.java
  cat > $M/LegacyInvoice.java <<'EOF'
package com.acme.shop.legacy;

public final class LegacyInvoice {
    private final double net;
    private final double rate;

    public LegacyInvoice(double net, double rate) {
        this.net = net;
        this.rate = rate;
    }

    public String grossText() {
        double gross = Math.floor(net * (1 + rate) * 100) / 100;
        return String.format(java.util.Locale.ROOT, "%.2f", gross);
    }
}
EOF
  cat > $M/LegacyExport.java <<'EOF'
package com.acme.shop.legacy;

import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;

public final class LegacyExport {
    public String header(int invoice) {
        try (BufferedReader r = new BufferedReader(new FileReader("templates/export-header.txt"))) {
            return r.readLine();
        } catch (IOException e) {
            throw new RuntimeException("export failed for invoice " + invoice, e);
        }
    }

    public String row(int invoice, String customer, String amount) {
        Log.info("legacy.Export", "row " + invoice + " for " + customer);
        return invoice + ";" + customer + ";" + amount;
    }
}
EOF
  cat > $M/TaxTable.java <<'EOF'
package com.acme.shop.legacy;

import java.util.HashMap;
import java.util.Map;

public final class TaxTable {
    private final Map<String, Double> rates = new HashMap<>();

    public TaxTable() {
        rates.put("DE", 0.19);
        rates.put("FR", 0.20);
        rates.put("EU-DEFAULT", 0.21);
    }

    public String regionFor(String country) {
        String region = rates.containsKey(country) ? country : "EU-DEFAULT";
        Log.info("legacy.TaxTable", "lookup " + country + " -> " + region);
        return country.equals("AT") ? "DE" : region;
    }

    public double rate(String region) {
        return rates.getOrDefault(region, 0.21);
    }
}
EOF
  cat > $T/LegacyInvoiceTest.java <<'EOF'
package com.acme.shop.legacy;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class LegacyInvoiceTest {
    @Test
    public void testFormatsWholeAmounts() {
        assertEquals("119.00", new LegacyInvoice(100, 0.19).grossText());
    }

    @Test
    public void testRoundsHalfUp() {
        assertEquals("10.05", new LegacyInvoice(8.445, 0.19).grossText());
    }
}
EOF
  cat > $T/LegacyExportTest.java <<'EOF'
package com.acme.shop.legacy;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class LegacyExportTest {
    @Test
    public void testExportsRow() {
        assertEquals("77;ACME;10.00", new LegacyExport().row(77, "ACME", "10.00"));
    }

    @Test
    public void testExportsCsvHeader() {
        assertEquals("invoice;customer;amount", new LegacyExport().header(77));
    }
}
EOF
  cat > $T/TaxTableTest.java <<'EOF'
package com.acme.shop.legacy;

import static org.hamcrest.CoreMatchers.is;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThat;

import org.junit.Test;

public class TaxTableTest {
    @Test
    public void testKnownCountry() {
        assertEquals("DE", new TaxTable().regionFor("DE"));
    }

    @Test
    public void testLookupUsesRegionFallback() {
        assertThat(new TaxTable().regionFor("AT"), is("EU-DEFAULT"));
    }
}
EOF
  cat > $T/LegacyBatchTest.java <<'EOF'
package com.acme.shop.legacy;

import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class LegacyBatchTest {
    @Test(timeout = 300)
    public void testNightlyBatchFinishes() throws InterruptedException {
        Thread.sleep(2000);
        assertTrue(true);
    }
}
EOF
  local reports=(Sales Returns Stock Payroll Vat Shipping Customers Suppliers Ledger Audit)
  for R in "${reports[@]}"; do
    cat > $T/Legacy${R}ReportTest.java <<EOF
package com.acme.shop.legacy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class Legacy${R}ReportTest {
    private final LegacyExport export = new LegacyExport();

    @Test
    public void testFirstRow() {
        assertEquals("1;${R};0.00", export.row(1, "${R}", "0.00"));
    }

    @Test
    public void testSecondRow() {
        assertEquals("2;${R};1.00", export.row(2, "${R}", "1.00"));
    }

    @Test
    public void testParseErrorIsLogged() {
        assertTrue(export.row(3, "${R}-parse-error", "n/a").endsWith("n/a"));
    }

    @Test
    public void testFailedRowsAreSkipped() {
        assertTrue(export.row(4, "${R}-failed", "").endsWith(";"));
    }

    @Test
    public void testTaxRegion() {
        assertEquals("FR", new TaxTable().regionFor("FR"));
    }

    @Test
    public void testTaxRate() {
        assertEquals(0.20, new TaxTable().rate("FR"), 0.0001);
    }

    @Test
    public void testGross() {
        assertEquals("120.00", new LegacyInvoice(100, 0.20).grossText());
    }

    @Test
    public void testLastRow() {
        assertEquals("9;${R};9.00", export.row(9, "${R}", "9.00"));
    }
}
EOF
  done

  # --- shop-api: JUnit 5, all passing, a lot of request logging ---
  mkdir -p shop-api
  module_pom shop shop-api "$(jupiter_deps)
  </dependencies>" "" > shop-api/pom.xml
  M=shop-api/src/main/java/com/acme/shop/api; T=shop-api/src/test/java/com/acme/shop/api
  mkdir -p $M $T
  log_java com.acme.shop.api > $M/Log.java
  cat > $M/Handler.java <<'EOF'
package com.acme.shop.api;

import java.util.ArrayList;
import java.util.List;

public final class Handler {
    public record Response(int status, String body) {}

    private final String resource;

    public Handler(String resource) {
        this.resource = resource;
    }

    private String logger() {
        return "api." + resource;
    }

    public Response get(int id) {
        if (id < 0) {
            Log.warn(logger(), "GET /" + resource + "/" + id + " -> 404 not found");
            return new Response(404, "");
        }
        Log.info(logger(), "GET /" + resource + "/" + id + " -> 200 (" + (id % 7 + 1) + " ms)");
        return new Response(200, "{\"id\":" + id + "}");
    }

    public List<Response> list(int page, int size) {
        List<Response> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            out.add(new Response(200, "{\"id\":" + (page * size + i) + "}"));
        }
        Log.info(logger(), "GET /" + resource + "?page=" + page + "&size=" + size + " -> 200 (" + size + " items)");
        return out;
    }

    public Response create(String body) {
        Log.info(logger(), "POST /" + resource + " " + body + " -> 201");
        return new Response(201, body);
    }

    public Response upstreamError() {
        Log.error(logger(), "upstream " + resource + "-service answered 503, returning 502");
        return new Response(502, "");
    }

    public Response retrying(int attempts) {
        for (int i = 1; i < attempts; i++) {
            Log.warn(logger(), "upstream timeout after 250 ms, retrying (attempt " + i + " of " + attempts + ")");
        }
        Log.info(logger(), "upstream answered on attempt " + attempts);
        return new Response(200, "");
    }

    public Response validate(String field, String value) {
        if (value == null || value.isBlank()) {
            Log.info(logger(), "validation: " + field + " must not be blank -> 400");
            return new Response(400, field);
        }
        return new Response(200, "");
    }
}
EOF
  local resources=(Cart Catalog Customer Address Coupon Shipment Refund Wishlist Review Search Session Token RateLimit
                   Webhook Invoice Tax Currency Locale Pagination Sorting Audit Health Metrics Export Import Store
                   Gift Loyalty Warehouse Supplier Brand Category Price Promotion Banner Newsletter
                   Subscription Payment Checkout Delivery Media Rating Question Answer Badge Referral
                   Affiliate Bundle Variant Stock)
  local n=100
  for R in "${resources[@]}"; do
    local r; r=$(echo "$R" | tr 'A-Z' 'a-z'); n=$((n + 37))
    cat > $T/${R}ResourceTest.java <<EOF
package com.acme.shop.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ${R}ResourceTest {
    private final Handler handler = new Handler("$r");

    @Test
    void getsById() {
        assertEquals(200, handler.get($n).status());
    }

    @Test
    void getsNextRecord() {
        assertEquals(200, handler.get($((n + 1))).status());
    }

    @Test
    void rejectsUnknownId() {
        assertEquals(404, handler.get(-$n).status());
    }

    @Test
    void listsFirstPage() {
        assertEquals(20, handler.list(0, 20).size());
    }

    @Test
    void listsLastPage() {
        assertEquals(5, handler.list(7, 5).size());
    }

    @Test
    void createsRecord() {
        assertEquals(201, handler.create("{\"name\":\"$r-1\"}").status());
    }

    @Test
    void mapsUpstreamErrorTo502() {
        assertEquals(502, handler.upstreamError().status());
    }

    @Test
    void retriesFailedUpstreamCall() {
        assertEquals(200, handler.retrying(3).status());
    }

    @Test
    void rejectsBlankName() {
        assertEquals(400, handler.validate("name", " ").status());
    }

    @Test
    void acceptsValidName() {
        assertEquals(200, handler.validate("name", "$r").status());
    }

    @Test
    void failedValidationNamesField() {
        assertEquals("name", handler.validate("name", "").body());
    }

    @Test
    void createsSecondRecord() {
        assertEquals(201, handler.create("{\"name\":\"$r-2\"}").status());
    }
}
EOF
  done

  # --- shop-app: depends on shop-model (skipped when it fails) ---
  mkdir -p shop-app/src/main/java/com/acme/shop/app
  module_pom shop shop-app "  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>shop-model</artifactId><version>1.0.0</version></dependency>
  </dependencies>" "" > shop-app/pom.xml
  cat > shop-app/src/main/java/com/acme/shop/app/Main.java <<'EOF'
package com.acme.shop.app;

import com.acme.shop.model.Order;

public final class Main {
    public static void main(String[] args) {
        System.out.println(new Order("demo").total().format());
    }
}
EOF

  # warm the local repository (not part of the job log)
  warm_up "mvn -B -fae verify"

  LOG=$P/job.log; : > "$LOG"
  step "java -version"
  step "mvn -B -fae verify"
}

# =============================================================================================
# jvm-maven-compile: a Maven reactor where one module does not compile, one module's tests do
# not compile, and one module runs its tests (one failure, one error); run with --fail-at-end.
# =============================================================================================
make_billing() {
  local P=$CI/billing
  rm -rf "$P"; mkdir -p "$P"; cd "$P"
  parent_pom billing billing-core billing-report billing-notify billing-app > pom.xml
  maven_config

  # --- billing-core: compile errors and lint warnings ---
  mkdir -p billing-core
  module_pom billing billing-core "" "" > billing-core/pom.xml
  local M=billing-core/src/main/java/com/acme/billing/core
  mkdir -p $M
  cat > $M/TaxRules.java <<'EOF'
package com.acme.billing.core;

import java.math.BigDecimal;

public final class TaxRules {
    private TaxRules() {}

    public static BigDecimal rateOf(String country) {
        return "DE".equals(country) ? new BigDecimal("0.19") : new BigDecimal("0.20");
    }
}
EOF
  cat > $M/Invoice.java <<'EOF'
package com.acme.billing.core;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

public final class Invoice {
    private final String country;
    private final List<BigDecimal> amounts = new ArrayList<>();

    public Invoice(String country) {
        this.country = country;
    }

    public void add(BigDecimal amount) {
        amounts.add(amount);
    }

    public BigDecimal net() {
        return amounts.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public BigDecimal gross() {
        return net().multiply(BigDecimal.ONE.add(TaxRules.rateFor(country)));
    }
}
EOF
  cat > $M/Discounts.java <<'EOF'
package com.acme.billing.core;

public final class Discounts {
    private Discounts() {}

    public static int loyaltyPercent(int years) {
        int percent = years * 1.5;
        return Math.min(percent, 15);
    }
}
EOF
  cat > $M/DueDates.java <<'EOF'
package com.acme.billing.core;

import java.util.Date;

public final class DueDates {
    private DueDates() {}

    public static Date firstOfMonth(int year, int month) {
        return new Date(year - 1900, month - 1, 1);
    }

    public static int graceDays(String plan) {
        switch (plan) {
            case "basic":
                return 14;
            case "pro":
                return 30;
        }
    }
}
EOF
  cat > $M/Formatter.java <<'EOF'
package com.acme.billing.core;

public interface Formatter {
    String format(Invoice invoice);
}
EOF
  cat > $M/CsvFormatter.java <<'EOF'
package com.acme.billing.core;

import java.util.ArrayList;
import java.util.List;

public final class CsvFormatter implements Formatter {
    @Override
    public String format(Invoice invoice) {
        return invoice.net().toPlainString();
    }

    @Override
    public String header() {
        return "net;gross";
    }

    public List<String> columns() {
        List raw = new ArrayList();
        raw.add("net");
        List<String> cols = raw;
        return cols;
    }
}
EOF

  # --- billing-report: runs its tests ---
  mkdir -p billing-report
  module_pom billing billing-report "$(jupiter_deps)
  </dependencies>" "" > billing-report/pom.xml
  M=billing-report/src/main/java/com/acme/billing/report; local T=billing-report/src/test/java/com/acme/billing/report
  mkdir -p $M $T
  log_java com.acme.billing.report > $M/Log.java
  cat > $M/Revenue.java <<'EOF'
package com.acme.billing.report;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

public final class Revenue {
    private Revenue() {}

    public static BigDecimal sum(String month, List<BigDecimal> amounts) {
        BigDecimal total = BigDecimal.ZERO;
        for (BigDecimal a : amounts) {
            total = total.add(a.setScale(2, RoundingMode.DOWN));
        }
        Log.info("report.Revenue", month + ": " + amounts.size() + " invoices, revenue " + total);
        return total;
    }

    public static int averageCents(String month, int totalCents, int invoices) {
        Log.info("report.Revenue", month + ": average over " + invoices + " invoices");
        return totalCents / invoices;
    }

    public static String label(String month, String region) {
        if (region.isEmpty()) {
            Log.warn("report.Revenue", month + ": no region given, using ALL");
            return month + "/ALL";
        }
        return month + "/" + region;
    }
}
EOF
  cat > $T/ReportTotalsTest.java <<'EOF'
package com.acme.billing.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTotalsTest {
    @Test
    void sumsWholeAmounts() {
        assertEquals(new BigDecimal("30.00"), Revenue.sum("2024-01", List.of(new BigDecimal("10"), new BigDecimal("20"))));
    }

    @Test
    void sumsMonthlyRevenue() {
        List<BigDecimal> amounts = List.of(new BigDecimal("4150.005"), new BigDecimal("4150.005"), new BigDecimal("4149.99"));
        assertEquals(new BigDecimal("12450.00"), Revenue.sum("2024-02", amounts));
    }

    @Test
    void averagesEmptyMonth() {
        assertEquals(0, Revenue.averageCents("2024-03", 0, 0));
    }
}
EOF
  local months=(January February March April May June July August September October November December
                Q1 Q2 Q3 Q4 FirstHalf SecondHalf FiscalYear Rolling12)
  local i=0
  for R in "${months[@]}"; do
    i=$((i + 1))
    cat > $T/${R}ReportTest.java <<EOF
package com.acme.billing.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class ${R}ReportTest {
    @Test
    void sumsInvoices() {
        assertEquals(new BigDecimal("$i.00"), Revenue.sum("$R", List.of(new BigDecimal("$i"))));
    }

    @Test
    void sumsEmptyMonth() {
        assertEquals(new BigDecimal("0"), Revenue.sum("$R", List.of()));
    }

    @Test
    void averagesInvoices() {
        assertEquals($i, Revenue.averageCents("$R", $((i * 3)), 3));
    }

    @Test
    void labelsRegion() {
        assertEquals("$R/EU", Revenue.label("$R", "EU"));
    }

    @Test
    void labelsMissingRegionAsAll() {
        assertEquals("$R/ALL", Revenue.label("$R", ""));
    }

    @Test
    void errorRowsAreCountedOnce() {
        assertEquals(new BigDecimal("2.00"), Revenue.sum("$R", List.of(new BigDecimal("1"), new BigDecimal("1"))));
    }

    @Test
    void failedInvoicesAreIgnored() {
        assertEquals(new BigDecimal("0"), Revenue.sum("$R", List.of()));
    }
}
EOF
  done

  # --- billing-notify: its tests do not compile ---
  mkdir -p billing-notify
  module_pom billing billing-notify "$(jupiter_deps)
  </dependencies>" "" > billing-notify/pom.xml
  M=billing-notify/src/main/java/com/acme/billing/notify; T=billing-notify/src/test/java/com/acme/billing/notify
  mkdir -p $M $T
  cat > $M/Mailer.java <<'EOF'
package com.acme.billing.notify;

public final class Mailer {
    public int send(String to, String subject) {
        return to.isEmpty() ? 0 : 1;
    }
}
EOF
  cat > $T/MailerTest.java <<'EOF'
package com.acme.billing.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MailerTest {
    @Test
    void sendsReminder() {
        String sent = new Mailer().send("billing@example.com", "Reminder");
        assertEquals(1, sent);
    }

    @Test
    void rendersTemplate() {
        MailTemplate template = MailTemplate.named("reminder");
        assertEquals("Reminder", template.subject());
    }
}
EOF

  # --- billing-app: depends on billing-core ---
  mkdir -p billing-app/src/main/java/com/acme/billing/app
  module_pom billing billing-app "  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>billing-core</artifactId><version>1.0.0</version></dependency>
  </dependencies>" "" > billing-app/pom.xml
  cat > billing-app/src/main/java/com/acme/billing/app/Main.java <<'EOF'
package com.acme.billing.app;

import com.acme.billing.core.Invoice;

public final class Main {
    public static void main(String[] args) {
        System.out.println(new Invoice("DE").gross());
    }
}
EOF

  warm_up "mvn -B -fae package"
  LOG=$P/job.log; : > "$LOG"
  step "mvn -B -fae package"

  # javac's raw diagnostics of the same sources (the machine-readable record of the errors)
  local cp_test=/usr/share/java/junit-jupiter-api.jar:/usr/share/java/apiguardian-api.jar:/usr/share/java/opentest4j.jar
  mkdir -p /tmp/jvm-ci-raw
  {
    javac -XDrawDiagnostics -XDshould-stop.ifError=FLOW -Xlint:deprecation -Xlint:unchecked -d /tmp/jvm-ci-raw/core $(find billing-core/src/main/java -name '*.java' | sort) 2>&1 || true
    javac -XDrawDiagnostics -d /tmp/jvm-ci-raw/notify-main $(find billing-notify/src/main/java -name '*.java' | sort) 2>&1 || true
    javac -XDrawDiagnostics -XDshould-stop.ifError=FLOW -d /tmp/jvm-ci-raw/notify-test -cp /tmp/jvm-ci-raw/notify-main:$cp_test $(find billing-notify/src/test/java -name '*.java' | sort) 2>&1 || true
  } > "$P/diagnostics.txt"
  rm -rf /tmp/jvm-ci-raw
}

# =============================================================================================
# jvm-junit-console: javac and the JUnit Platform console launcher (Jupiter + Vintage engines)
# run directly, as a build without Maven does; then a tools directory that does not compile.
# =============================================================================================
make_ledger() {
  local P=$CI/ledger
  rm -rf "$P"; mkdir -p "$P/lib"; cd "$P"
  cp /usr/share/java/junit-platform-console-standalone-1.9.1.jar /usr/share/java/junit4-4.13.2.jar \
     /usr/share/java/hamcrest-2.2.jar lib/
  local M=src/main/java/com/acme/ledger T=src/test/java/com/acme/ledger
  mkdir -p $M $T tools/src/com/acme/ledger/tools
  log_java com.acme.ledger > $M/Log.java
  cat > $M/Account.java <<'EOF'
package com.acme.ledger;

import java.util.ArrayList;
import java.util.List;

public final class Account {
    private final String id;
    private long balanceCents;
    private final List history = new ArrayList();

    public Account(String id, long openingCents) {
        this.id = id;
        this.balanceCents = openingCents;
    }

    public String id() { return id; }

    public long balance() { return balanceCents; }

    public void deposit(long cents) {
        balanceCents += cents;
        history.add(new Long(cents));
        Log.info("ledger.Account", id + " deposit " + cents + " -> " + balanceCents);
    }

    public boolean withdraw(long cents) {
        if (cents > balanceCents + 10_000) {
            Log.warn("ledger.Account", id + " withdraw " + cents + " refused: insufficient funds");
            return false;
        }
        balanceCents -= cents;
        Log.info("ledger.Account", id + " withdraw " + cents + " -> " + balanceCents);
        return true;
    }

    public int historySize() { return history.size(); }
}
EOF
  cat > $M/LedgerException.java <<'EOF'
package com.acme.ledger;

public class LedgerException extends RuntimeException {
    public LedgerException(String message, Throwable cause) {
        super(message, cause);
    }
}
EOF
  cat > $M/Ledger.java <<'EOF'
package com.acme.ledger;

import java.util.LinkedHashMap;
import java.util.Map;

public final class Ledger {
    private final Map<String, Account> accounts = new LinkedHashMap<>();

    public Account open(String id, long openingCents) {
        Account a = new Account(id, openingCents);
        accounts.put(id, a);
        Log.info("ledger.Ledger", "opened " + id + " with " + openingCents);
        return a;
    }

    public Account get(String id) {
        Account a = accounts.get(id);
        if (a == null) {
            throw new LedgerException("no such account: " + id, new IllegalArgumentException(id));
        }
        return a;
    }

    /** Moves money; a transfer costs a fee of 0.5 %, rounded half up. */
    public long transfer(String from, String to, long cents) {
        long fee = cents * 5 / 1000;
        if (!get(from).withdraw(cents + fee)) {
            return 0;
        }
        get(to).deposit(cents);
        Log.info("ledger.Ledger", "transfer " + from + " -> " + to + " " + cents + " (fee " + fee + ")");
        return fee;
    }

    public String kind(String id) {
        String kind;
        switch (id.charAt(0)) {
            case 'S':
                kind = "savings";
            case 'C':
                kind = "checking";
                break;
            default:
                kind = "other";
        }
        return kind;
    }
}
EOF
  cat > $M/CsvImporter.java <<'EOF'
package com.acme.ledger;

public final class CsvImporter {
    private CsvImporter() {}

    /** "2024-01-05;Coffee;-3,50" -> cents. */
    public static long amountCents(String line) {
        String[] cols = line.split(";");
        if (cols.length != 3) {
            throw new IllegalArgumentException("expected 3 columns, got " + cols.length + ": " + line);
        }
        String amount = cols[2].replace(',', '.');
        return Math.round(Double.parseDouble(amount) * 100);
    }
}
EOF
  cat > $T/AccountTest.java <<'EOF'
package com.acme.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccountTest {
    @Test
    void depositsAddUp() {
        Account a = new Account("C-1", 0);
        a.deposit(500);
        a.deposit(250);
        assertEquals(750, a.balance());
    }

    @Test
    void withdrawErrorIsReported() {
        assertFalse(new Account("C-2", 0).withdraw(50_000));
    }

    @Test
    void balanceNeverGoesNegative() {
        Account a = new Account("C-3", 1_000);
        a.withdraw(5_000);
        assertTrue(a.balance() >= 0, "balance must not go negative");
    }
}
EOF
  cat > $T/LedgerTest.java <<'EOF'
package com.acme.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayName("Ledger")
class LedgerTest {
    Ledger ledger;

    @BeforeEach
    void setUp() {
        ledger = new Ledger();
        ledger.open("C-100", 100_000);
        ledger.open("S-200", 0);
    }

    @Nested
    @DisplayName("transfers")
    class Transfers {
        @Test
        @DisplayName("moves the amount")
        void movesAmount() {
            ledger.transfer("C-100", "S-200", 10_000);
            assertEquals(10_000, ledger.get("S-200").balance());
        }

        @Test
        @DisplayName("charges a fee rounded half up")
        void chargesFee() {
            assertEquals(1, ledger.transfer("C-100", "S-200", 150));
        }

        @Test
        @DisplayName("fails for an unknown account")
        void unknownAccount() {
            assertThrows(LedgerException.class, () -> ledger.transfer("C-100", "X-999", 100));
        }

        @Test
        @DisplayName("reports the missing account")
        void missingAccountMessage() {
            ledger.transfer("C-999", "S-200", 100);
        }
    }

    @Nested
    @DisplayName("accounts")
    class Accounts {
        @Test
        @DisplayName("knows checking accounts")
        void checking() {
            assertEquals("checking", ledger.kind("C-100"));
        }

        @Test
        @DisplayName("knows savings accounts")
        void savings() {
            assertEquals("savings", ledger.kind("S-200"));
        }

        @Test
        @DisplayName("error accounts are other")
        void other() {
            assertEquals("other", ledger.kind("E-1"));
        }
    }
}
EOF
  cat > $T/CsvImporterTest.java <<'EOF'
package com.acme.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CsvImporterTest {
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "2024-01-05;Coffee;-3,50 | -350",
        "2024-01-06;Salary;2500,00 | 250000",
        "2024-01-07;Rent;-1.200,00 | -120000",
        "2024-01-08;Refund;0,99 | 99"})
    void parsesAmounts(String line, long cents) {
        assertEquals(cents, CsvImporter.amountCents(line));
    }
}
EOF
  cat > $T/PostingRulesTest.java <<'EOF'
package com.acme.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

class PostingRulesTest {
    @TestFactory
    Stream<DynamicTest> feeRules() {
        Ledger ledger = new Ledger();
        ledger.open("C-1", 1_000_000);
        ledger.open("C-2", 0);
        return Stream.of(
            dynamicTest("fee for 100.00", () -> assertEquals(50, ledger.transfer("C-1", "C-2", 10_000))),
            dynamicTest("fee for 1000.00", () -> assertEquals(500, ledger.transfer("C-1", "C-2", 100_000))),
            dynamicTest("fee for 0.99", () -> assertEquals(1, ledger.transfer("C-1", "C-2", 99))));
    }
}
EOF
  cat > $T/ClosingTest.java <<'EOF'
package com.acme.ledger;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClosingTest {
    static Ledger ledger;

    @BeforeAll
    static void openPeriod() {
        ledger = new Ledger();
        ledger.get("CLOSING-2023");
    }

    @Test
    void closesPeriod() {
        assertNotNull(ledger);
    }
}
EOF
  cat > $T/ReconcileTest.java <<'EOF'
package com.acme.ledger;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class ReconcileTest {
    @Test
    public void matchesBankStatement() {
        Ledger ledger = new Ledger();
        ledger.open("C-1", 0);
        ledger.get("C-1").deposit(CsvImporter.amountCents("2024-02-01;Interest;0,994"));
        assertEquals(100L, ledger.get("C-1").balance());
    }

    @Test
    public void countsHistory() {
        Account a = new Account("C-9", 0);
        a.deposit(1);
        assertEquals(1, a.historySize());
    }
}
EOF
  local months=(January February March April May June July August September October November December)
  local i=0
  for R in "${months[@]}"; do
    i=$((i + 1))
    cat > $T/${R}PeriodTest.java <<EOF
package com.acme.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ${R}PeriodTest {
    private final Ledger ledger = new Ledger();

    @Test
    void opensAccounts() {
        assertEquals($((i * 100)), ledger.open("C-$i", $((i * 100))).balance());
    }

    @Test
    void depositsSalary() {
        Account a = ledger.open("C-$i", 0);
        a.deposit(250_000);
        assertEquals(250_000, a.balance());
    }

    @Test
    void paysRent() {
        assertTrue(ledger.open("C-$i", 200_000).withdraw(120_000));
    }

    @Test
    void refusesOverdraft() {
        assertFalse(ledger.open("C-$i", 0).withdraw(20_000));
    }

    @Test
    void transfersToSavings() {
        ledger.open("C-$i", 100_000);
        ledger.open("S-$i", 0);
        assertEquals(50, ledger.transfer("C-$i", "S-$i", 10_000));
    }

    @Test
    void importsCoffee() {
        assertEquals(-350, CsvImporter.amountCents("2024-$i-05;Coffee;-3,50"));
    }

    @Test
    void importErrorKeepsBalance() {
        Account a = ledger.open("C-$i", 500);
        assertEquals(500, a.balance());
    }

    @Test
    void failedTransferChargesNoFee() {
        ledger.open("C-$i", 0);
        ledger.open("S-$i", 0);
        assertEquals(0, ledger.transfer("C-$i", "S-$i", 50_000));
    }
}
EOF
  done
  cat > tools/src/com/acme/ledger/tools/Migrate.java <<'EOF'
package com.acme.ledger.tools;

import com.acme.ledger.Ledger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

public final class Migrate {
    private Migrate() {}

    public static void main(String[] args) {
        Ledger ledger = new Ledger();
        List<String> rows = Files.readAllLines(Path.of(args[0]));
        for (String row : rows) {
            ledger.open(row, 0L).deposit(Long.parseLong(row.split(";")[1]));
        }
        System.out.println("migrated " + rows.size() + " accounts into " + ledger.size());
    }
}
EOF

  local CP_TEST=build/classes:lib/junit-platform-console-standalone-1.9.1.jar:lib/junit4-4.13.2.jar:lib/hamcrest-2.2.jar
  LOG=$P/job.log; : > "$LOG"
  step "java -version"
  step "javac -Xlint:all -d build/classes \$(find src/main/java -name '*.java' | sort)"
  step "javac -d build/test-classes -cp $CP_TEST \$(find src/test/java -name '*.java' | sort)"
  step "java -jar lib/junit-platform-console-standalone-1.9.1.jar --disable-banner --disable-ansi-colors -cp build/classes:build/test-classes:lib/junit4-4.13.2.jar:lib/hamcrest-2.2.jar --scan-classpath build/test-classes --reports-dir build/test-results"
  step "javac -Xlint:all -d build/tools -cp build/classes \$(find tools/src -name '*.java' | sort)"

  # javac's raw diagnostics of the same sources (the machine-readable record of the errors)
  javac -XDrawDiagnostics -Xlint:all -d /tmp/jvm-ci-raw -cp build/classes \
    $(find tools/src -name '*.java' | sort) > "$P/diagnostics.txt" 2>&1 || true
  rm -rf /tmp/jvm-ci-raw
}

# =============================================================================================
# Fixture writer: job.log, the machine-readable reports (trimmed), truth.json derived from them.
# =============================================================================================
write_fixture_py() {
  cat > "$CI/fixture.py" <<'EOF'
"""Write one fixture folder: job.log, junit.xml / diagnostics.txt, truth.json.

usage: fixture.py OUT_DIR PROJECT_DIR TOOL COMMAND [--surefire DIR]... [--console DIR]
                  [--javac RAW_FILE SRC_ROOT STYLE]...
STYLE is "javac" (path:line, as javac prints) or "maven" (path:[line,col], as the Maven
compiler plugin prints, the path relative to the project).
"""
import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET

out, proj, tool, command = sys.argv[1:5]
args = sys.argv[5:]
log = open(os.path.join(proj, "job.log"), encoding="utf-8").read()
lines = log.splitlines()

failing, locations, totals = [], [], []
suites = []  # (source, testsuite element) for the merged report


def add(lst, s):
    if s not in lst:
        lst.append(s)


def trace_of(case):
    for kind in ("failure", "error"):
        el = case.find(kind)
        if el is not None:
            return kind, el
    return None, None


NOISE = re.compile(r"^\s*at (java\.base/)?(org\.junit\.|org\.apache\.maven\.|jdk\.internal\.|java\.lang\.reflect\.|java\.util\.|sun\.reflect\.)")


def trimmed(text):
    return "\n".join(l for l in (text or "").splitlines() if not NOISE.match(l)) + "\n"


def project_frames(cls, text):
    """(method, File.java:line) of the first frame in the test class, and of the first project frame."""
    own = re.search(r"at " + re.escape(cls) + r"\.([\w$<>]+)\(([\w$]+\.java):(\d+)\)", text)
    first = re.search(r"at com\.acme\.[\w.$<>]+\(([\w$]+\.java):(\d+)\)", text)
    return own, first


def surefire(d):
    t = f = e = s = 0
    for name in sorted(os.listdir(d)):
        if not (name.startswith("TEST-") and name.endswith(".xml")):
            continue
        suite = ET.parse(os.path.join(d, name)).getroot()
        suites.append(suite)
        t += int(suite.get("tests")); f += int(suite.get("failures"))
        e += int(suite.get("errors")); s += int(suite.get("skipped"))
        for case in suite.iter("testcase"):
            kind, el = trace_of(case)
            if el is None:
                continue
            cls = case.get("classname")
            simple = cls.rsplit(".", 1)[-1]
            own, first = project_frames(cls, el.text or "")
            # Surefire's summary names a test by the first stack frame in its class
            test_id = f"{simple}.{own.group(1)}" if own else f"{simple}.{case.get('name')}"
            assert test_id in log, test_id
            add(failing, test_id)
            for m in (own, first):
                if m:
                    loc = f"{m.group(m.lastindex - 1)}:{m.group(m.lastindex)}"
                    if loc in log:
                        add(locations, loc)
    add(totals, f"Tests run: {t}, Failures: {f}, Errors: {e}, Skipped: {s}")


def console(d):
    """The JUnit console launcher's reports; the id is the failure listing's path of display names."""
    listing = {}
    for i, l in enumerate(lines[:-1]):
        m = re.match(r"^  JUnit (?:Jupiter|Vintage|Platform Suite):(.+)$", l)
        if not m:
            continue
        src = re.match(r"^    (Method|Class)Source \[className = '([^']+)'(?:, methodName = '([^']+)')?", lines[i + 1])
        if src:
            listing.setdefault((src.group(2), src.group(3)), []).append(m.group(1))
    total = skipped = bad = 0
    by_method = by_class = 0
    for name in sorted(os.listdir(d)):
        if not (name.startswith("TEST-") and name.endswith(".xml")):
            continue
        suite = ET.parse(os.path.join(d, name)).getroot()
        suites.append(suite)
        total += int(suite.get("tests")); skipped += int(suite.get("skipped"))
        for case in suite.iter("testcase"):
            kind, el = trace_of(case)
            if el is None:
                continue
            bad += 1
            cls = case.get("classname")
            out_text = (case.findtext("system-out") or "")
            display = re.search(r"^display-name: (.*)$", out_text, re.M).group(1)
            method = case.get("name").split("(")[0]
            ids = [x for x in listing.get((cls, method), []) if x.endswith(display)]
            if ids:
                by_method += 1
            else:  # the test did not start: its class (a container) failed
                ids = listing[(cls, None)]
                if ids[0] in failing:
                    continue
                by_class += 1
            assert len(ids) == 1, (cls, method, ids)
            add(failing, ids[0])
            own, first = project_frames(cls, el.text or "")
            for m in (own, first):
                if m:
                    loc = f"{m.group(m.lastindex - 1)}:{m.group(m.lastindex)}"
                    if loc in log:
                        add(locations, loc)
    counts = {"tests successful": total - bad - skipped, "tests failed": by_method, "containers failed": by_class}
    for label, n in counts.items():
        m = re.search(r"^(\[\s+(\d+) " + label + r"\s+\])$", log, re.M)
        assert m and int(m.group(2)) == n, (label, n, m and m.group(0))
        if label != "containers failed" or n:
            add(totals, m.group(1).strip())


def javac(raw, root, style):
    for l in open(raw, encoding="utf-8").read().splitlines():
        m = re.match(r"^([\w$]+\.java):(\d+):(\d+): compiler\.err\.", l)
        if m:
            hits = [os.path.relpath(os.path.join(dp, m.group(1)), proj)
                    for dp, _, fs in os.walk(os.path.join(proj, root)) if m.group(1) in fs]
            assert len(hits) == 1, hits
            loc = f"{hits[0]}:{m.group(2)}" if style == "javac" else f"{hits[0]}:[{m.group(2)},{m.group(3)}]"
            assert loc in log, loc
            add(locations, loc)
        m = re.match(r"^(\d+ errors?)$", l)
        if m:
            assert m.group(1) in log, m.group(1)
            add(totals, m.group(1))


i = 0
while i < len(args):
    if args[i] == "--surefire":
        surefire(os.path.join(proj, args[i + 1])); i += 2
    elif args[i] == "--console":
        console(os.path.join(proj, args[i + 1])); i += 2
    elif args[i] == "--javac":
        javac(os.path.join(proj, args[i + 1]), args[i + 2], args[i + 3]); i += 4
    else:
        raise SystemExit(f"unknown argument {args[i]}")

os.makedirs(out, exist_ok=True)
shutil.copy(os.path.join(proj, "job.log"), os.path.join(out, "job.log"))

if suites:
    # The run's JUnit XML reports merged: every suite with its counts, the failing cases with
    # their messages and the project's stack frames; passing cases and properties left out.
    root = ET.Element("testsuites")
    for suite in suites:
        s = ET.SubElement(root, "testsuite", {k: v for k, v in suite.attrib.items()
                                             if k in ("name", "tests", "failures", "errors", "skipped", "time")})
        for case in suite.iter("testcase"):
            kind, el = trace_of(case)
            if el is None:
                continue
            c = ET.SubElement(s, "testcase", dict(case.attrib))
            x = ET.SubElement(c, kind, {k: v for k, v in el.attrib.items() if k in ("message", "type")})
            x.text = trimmed(el.text)
            so = case.findtext("system-out") or ""
            ids = "".join(l + "\n" for l in so.splitlines() if l.startswith(("unique-id:", "display-name:")))
            if ids:
                ET.SubElement(c, "system-out").text = ids
    ET.indent(root)
    ET.ElementTree(root).write(os.path.join(out, "junit.xml"), encoding="UTF-8", xml_declaration=True)

for a in range(len(args)):
    if args[a] == "--javac":
        shutil.copy(os.path.join(proj, args[a + 1]), os.path.join(out, "diagnostics.txt"))

truth = {"tool": tool, "command": command, "failing_tests": failing, "error_locations": locations,
         "error_codes": [], "totals": totals}
for key in ("failing_tests", "error_locations", "error_codes", "totals"):
    for s in truth[key]:
        assert s in log, (key, s)
with open(os.path.join(out, "truth.json"), "w", encoding="utf-8") as fh:
    json.dump(truth, fh, indent=2, ensure_ascii=False)
    fh.write("\n")
print(f"{os.path.basename(out)}: {len(log)} bytes, {len(failing)} failing tests, {len(locations)} locations, {len(totals)} totals")
EOF
}

# =============================================================================================
main() {
  write_fixture_py
  local cases=${JVM_CASES:-"shop billing ledger"}
  for c in $cases; do
    case $c in
      shop)
        make_shop
        python3 "$CI/fixture.py" "$OUT/jvm-maven-surefire" "$CI/shop" "maven-surefire" "mvn -B -fae verify" \
          --surefire shop-model/target/surefire-reports --surefire shop-legacy/target/surefire-reports \
          --surefire shop-api/target/surefire-reports ;;
      billing)
        make_billing
        python3 "$CI/fixture.py" "$OUT/jvm-maven-compile" "$CI/billing" "maven-compiler, maven-surefire" "mvn -B -fae package" \
          --javac diagnostics.txt . maven --surefire billing-report/target/surefire-reports ;;
      ledger)
        make_ledger
        python3 "$CI/fixture.py" "$OUT/jvm-junit-console" "$CI/ledger" "javac, junit-platform-console" \
          "java -jar lib/junit-platform-console-standalone-1.9.1.jar --disable-banner --disable-ansi-colors -cp build/classes:build/test-classes:lib/junit4-4.13.2.jar:lib/hamcrest-2.2.jar --scan-classpath build/test-classes --reports-dir build/test-results" \
          --console build/test-results --javac diagnostics.txt tools javac ;;
      *) echo "unknown case $c" >&2; exit 2 ;;
    esac
  done
}

main
