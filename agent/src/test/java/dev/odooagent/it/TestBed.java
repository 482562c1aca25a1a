package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.fail;

import dev.odooagent.Await;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The one reader of the test bed's settings ({@code $TESTBED_DIR/testbed.env} and {@code images.env}, written by
 * {@code scripts/testbed up}; docs/testbed.md), and small clients of it (docker, psql). Every integration test uses it.
 */
public final class TestBed {
  /** {@code $TESTBED_DIR}, by default {@code /var/lib/odoo-testbed}. */
  public static final Path DIR = Path.of(System.getenv().getOrDefault("TESTBED_DIR", "/var/lib/odoo-testbed"));
  static final Map<String, String> ENV = load();

  private TestBed() {}

  private static Map<String, String> load() {
    Map<String, String> env = new HashMap<>();
    for (String f : List.of("testbed.env", "images.env")) {
      Path p = DIR.resolve(f);
      if (!Files.exists(p)) {
        throw new IllegalStateException(p + " is missing: run `scripts/testbed up` as root first (scripts/test does),"
            + " or set TESTBED_DIR to where the bed lives");
      }
      try {
        for (String line : Files.readAllLines(p)) {
          int eq = line.indexOf('=');
          if (eq > 0 && !line.startsWith("#")) {
            env.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + p, e);
      }
    }
    return env;
  }

  /** A setting of testbed.env or images.env, or a failure naming the key and what to run. */
  public static String env(String key) {
    String v = ENV.get(key);
    if (v == null || v.isEmpty()) {
      throw new IllegalStateException(key + " is not in " + DIR + "/testbed.env or images.env (run `scripts/testbed up` to regenerate them)");
    }
    return v;
  }

  /** The test bed registry's repository of the stand-in images ({@code IMAGE}). */
  public static String image() {
    return env("IMAGE");
  }

  /** {@code IMAGE:tag}. */
  public static String ref(String tag) {
    return image() + ":" + tag;
  }

  /** The registry digest of a variant, read afresh: a rebuilt test bed moves the tags. */
  public static String digest(String tag) {
    String key = "DIGEST_" + tag.replace('-', '_');
    String v = load().get(key);
    if (v == null) {
      throw new IllegalStateException(key + " is not in " + DIR + "/images.env");
    }
    return v;
  }

  /** The trimmed content of the secret file a key names ({@code PG_PASSWORD_FILE} …). */
  public static String secret(String fileKey) {
    try {
      return Files.readString(Path.of(env(fileKey))).strip();
    } catch (IOException e) {
      throw new IllegalStateException(fileKey + "=" + env(fileKey) + " is not readable (run the tests as root): " + e, e);
    }
  }

  /** A finished command: exit code and both outputs. */
  record Result(int code, String out, String err) {}

  /** Runs a command to completion (bounded), never throwing on a non-zero exit. */
  static Result exec(List<String> cmd, Map<String, String> extraEnv, Duration timeout) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().putAll(extraEnv);
      Path out = Files.createTempFile("cmd", ".out");
      Path err = Files.createTempFile("cmd", ".err");
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        // an exception, not a failure: inside await() a probe that timed out on a loaded machine means "not yet"
        throw new IllegalStateException("command timed out after " + timeout + ": " + cmd);
      }
      Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return r;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs a command and returns its stdout; fails the test on a non-zero exit. */
  static String sh(String... cmd) {
    Result r = exec(List.of(cmd), Map.of(), Duration.ofMinutes(3));
    if (r.code() != 0) {
      fail("`" + String.join(" ", cmd) + "` exited " + r.code() + ": " + r.err() + r.out());
    }
    return r.out();
  }

  /** docker CLI. */
  static String docker(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    return sh(cmd.toArray(String[]::new));
  }

  /** docker CLI, tolerating failure (cleanup). */
  static void dockerQuiet(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    exec(cmd, Map.of(), Duration.ofMinutes(1));
  }

  /** One SQL statement through psql as the test bed's odoo role; rows as "a|b" lines. */
  static String psql(String db, String sql) {
    Result r = exec(List.of("psql", "-h", env("PG_HOST"), "-p", env("PG_PORT"), "-U", env("PG_USER"), "-d", db,
        "-v", "ON_ERROR_STOP=1", "-At", "-c", sql), Map.of("PGPASSWORD", secret("PG_PASSWORD_FILE")), Duration.ofMinutes(1));
    if (r.code() != 0) {
      fail("psql on " + db + " failed: " + r.err());
    }
    return r.out().strip();
  }

  /** The schema of a database as pg_dump prints it. */
  static String schema(String db) {
    Result r = exec(List.of("pg_dump", "-h", env("PG_HOST"), "-p", env("PG_PORT"), "-U", env("PG_USER"), "--schema-only",
        "--no-owner", db), Map.of("PGPASSWORD", secret("PG_PASSWORD_FILE")), Duration.ofMinutes(1));
    if (r.code() != 0) {
      fail("pg_dump " + db + " failed: " + r.err());
    }
    return r.out().lines().filter(l -> !l.startsWith("--") && !l.startsWith("\\restrict") && !l.startsWith("\\unrestrict"))
        .reduce("", (a, b) -> a + b + "\n");
  }

  static boolean databaseExists(String db) {
    return psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = '" + db + "'").equals("1");
  }

  /**
   * Holds one of the bed's fixed ports until closed (its Prometheus scrapes an agent on 9780, its registry notifies
   * 9781), waiting while an IT in another JVM holds it: ITs run side by side in several JVMs (agent/pom.xml).
   */
  static AutoCloseable holdPort(int port) {
    try {
      FileChannel channel = FileChannel.open(Path.of("/tmp/odoo-it-port-" + port + ".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock lock = channel.lock();
      return () -> {
        lock.release();
        channel.close();
      };
    } catch (IOException e) {
      throw new IllegalStateException("cannot lock /tmp/odoo-it-port-" + port + ".lock", e);
    }
  }

  /** Waits for a condition, polling every 200 ms; an exception from it means "not yet". Fails naming {@code what}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    Await.until(what, timeout, Duration.ofMillis(200), () -> {
      try {
        return condition.getAsBoolean();
      } catch (RuntimeException notYet) {
        return false;
      }
    });
  }

}
