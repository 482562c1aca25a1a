package dev.odooagent.odoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DbToolTest {
  private static final String ID = "20261125-182834-493f";

  private static String script() {
    return DbTool.exists("odoo").get(2);
  }

  @Test
  void copyNameCarriesTheDeployIdInSafeCharacters() {
    assertEquals("odoo__pre_20261125182834493f", DbTool.copyName("odoo", ID));
    assertEquals("odoo__pre_abc12", DbTool.copyName("odoo", "A-b/C_1;2"));
  }

  @Test
  void copyNameFitsPostgresIdentifiersAndNeverNamesTheDatabaseItself() {
    for (int len : new int[] {1, 20, 39, 40, 56, 57, 58, 62, 63}) {
      String db = "d".repeat(len);
      String copy = DbTool.copyName(db, ID);
      assertTrue(copy.length() <= 63, len + ": " + copy);
      assertTrue(copy.matches("[a-z0-9_]+"), copy);
      assertNotEquals(db, copy, "a copy named like the database: restore and drop would hit the live database");
      assertTrue(copy.endsWith("__pre_20261125182834493f"), "each deploy's copy is its own: " + copy);
    }
  }

  @Test
  void commandsRunTheBundledScriptWithTheirArguments() {
    List<String> prefix = List.of("python3", "-c", script());
    assertEquals(concat(prefix, "exists", "odoo"), DbTool.exists("odoo"));
    assertEquals(concat(prefix, "snapshot", "odoo", "odoo__pre_x"), DbTool.snapshot("odoo", "odoo__pre_x"));
    assertEquals(concat(prefix, "restore", "odoo", "odoo__pre_x"), DbTool.restore("odoo", "odoo__pre_x"));
    assertEquals(concat(prefix, "drop", "odoo__pre_x", "odoo__pre_x"), DbTool.drop("odoo__pre_x"));
    assertEquals(concat(prefix, "manifests", "/mnt/extra-addons"), DbTool.manifests("/mnt/extra-addons"));
    assertEquals(3, DbTool.MISSING);
  }

  @Test
  void theScriptIsShippedExactlyAsWritten() throws IOException {
    // src/main/resources is filtered by Maven; a ${...} or @...@ in the Python would be rewritten silently
    String source = Files.readString(Path.of("src/main/resources/dev/odooagent/odoo/dbtool.py"));
    assertEquals(source, script());
    assertTrue(script().contains("def main(argv):"));
  }

  private static List<String> concat(List<String> prefix, String... args) {
    List<String> out = new java.util.ArrayList<>(prefix);
    out.addAll(List.of(args));
    return out;
  }
}
