package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The compose stack's Caddy in front of a stand-in Odoo ({@code scripts/testbed-proxy}), and requests at 20 Hz through
 * it ({@code scripts/bench.d/proxy_load.py}, the driver the bench and the demo use too).
 */
final class ProxyLoad implements AutoCloseable {
  private static final Path ROOT = Path.of(System.getProperty("project.root", ".."));
  private final String name;
  final String url;
  private Process load;
  private Path out;
  private Path err;

  /** Starts proxy container {@code name} in front of {@code alias}:8069 on the bed network. */
  ProxyLoad(String name, String alias) {
    this.name = name;
    TestBed.Result r = TestBed.exec(List.of(ROOT.resolve("scripts/testbed-proxy").toString(), "start", name, alias), Map.of(),
        Duration.ofMinutes(5));
    assertEquals(0, r.code(), "scripts/testbed-proxy start: " + r.err() + r.out());
    this.url = r.out().strip();
  }

  /** Starts sending GET /web/health through the proxy at 20 Hz; returns once one answered 200. */
  ProxyLoad start() throws IOException {
    out = Files.createTempFile("proxy-load", ".json");
    err = Files.createTempFile("proxy-load", ".err");
    // run by its own #!/usr/bin/python3: a python3 wrapper on the PATH (pyenv) may not pass SIGTERM on to it
    load = new ProcessBuilder(ROOT.resolve("scripts/bench.d/proxy_load.py").toString(), url + "/web/health", "--hz", "20")
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    TestBed.await("requests through " + url + " answering", Duration.ofSeconds(40), () -> {
      String e = read(err);
      if (!load.isAlive() && !e.contains("started")) {
        throw new AssertionError("the load driver exited " + load.exitValue() + ": " + e);
      }
      return e.contains("started");
    });
    return this;
  }

  /** Stops the requests, waits for those in flight, and returns the driver's summary (sent, failed, longest_gap_s, ...). */
  JsonObject stop() throws InterruptedException {
    load.destroy();
    if (!load.waitFor(60, TimeUnit.SECONDS)) {
      load.destroyForcibly();
      throw new AssertionError("the load driver did not finish within 60 s of SIGTERM: " + read(err));
    }
    JsonObject summary = new JsonObject(read(out).strip());
    load = null;
    return summary;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    if (load != null) {
      load.destroyForcibly();
    }
    TestBed.exec(List.of(ROOT.resolve("scripts/testbed-proxy").toString(), "stop", name), Map.of(), Duration.ofMinutes(1));
    for (Path p : new Path[] {out, err}) {
      if (p != null) {
        Files.deleteIfExists(p);
      }
    }
  }
}
