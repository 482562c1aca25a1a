package dev.odooagent.mqtt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The test bed's {@code testbed.env}. */
final class TestBed {

  private final Path file;
  private final Map<String, String> values;

  private TestBed(Path file, Map<String, String> values) {
    this.file = file;
    this.values = values;
  }

  /** Loads {@code $TESTBED_DIR/testbed.env}; the suite brings the bed up first. */
  static TestBed load() throws IOException {
    String dir = System.getenv().getOrDefault("TESTBED_DIR", "/var/lib/odoo-testbed");
    Path file = Path.of(dir, "testbed.env");
    if (!Files.isReadable(file)) {
      throw new IllegalStateException("test bed not found: " + file + " is missing (run scripts/testbed up as root,"
          + " or set TESTBED_DIR; scripts/test does)");
    }
    Map<String, String> values = new HashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      if (eq > 0 && !line.startsWith("#")) {
        values.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    return new TestBed(file, values);
  }

  /** The value of a key, or a failure naming the key and the file. */
  String get(String key) {
    String value = values.get(key);
    if (value == null || value.isEmpty()) {
      throw new IllegalStateException("test bed: " + key + " is missing from " + file
          + " (run scripts/testbed up to regenerate it)");
    }
    return value;
  }

  /** The trimmed content of the secret file that a key names. */
  String secret(String key) throws IOException {
    Path path = Path.of(get(key));
    if (!Files.isReadable(path)) {
      throw new IllegalStateException("test bed: " + key + "=" + path + " is not readable (run the tests as root)");
    }
    return Files.readString(path, StandardCharsets.UTF_8).trim();
  }
}
