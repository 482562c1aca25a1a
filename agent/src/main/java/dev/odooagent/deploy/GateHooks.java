package dev.odooagent.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the configured gate commands (e.g. an image scanner) before anything is stopped; any non-zero exit refuses. */
public final class GateHooks {
  private final Vertx vertx;
  private final List<String> commands;
  private final Duration timeout;

  /** Hooks run with {@code /bin/sh -c}, each bounded by {@code timeout}. */
  public GateHooks(Vertx vertx, List<String> commands, Duration timeout) {
    this.vertx = vertx;
    this.commands = commands;
    this.timeout = timeout;
  }

  /** Runs every hook in order with the image in its env; fails with the first refusal. */
  public Future<Void> run(String imageRef, String tag, String digest) {
    Future<Void> chain = Future.succeededFuture();
    for (String cmd : commands) {
      chain = chain.compose(x -> vertx.executeBlocking(() -> runOne(cmd, imageRef, tag, digest), false));
    }
    return chain;
  }

  private Void runOne(String cmd, String imageRef, String tag, String digest) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("ODOO_AGENT_IMAGE", imageRef);
    env.put("ODOO_AGENT_TAG", tag == null ? "" : tag);
    env.put("ODOO_AGENT_DIGEST", digest);
    Process p = pb.start();
    byte[] out = p.getInputStream().readNBytes(64 * 1024);
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new DeployException("gate", null, "gate hook `" + cmd + "` did not finish within " + timeout.toSeconds() + " s; deploy refused");
    }
    if (p.exitValue() != 0) {
      String tail = new String(out, StandardCharsets.UTF_8).strip();
      tail = tail.length() > 500 ? "…" + tail.substring(tail.length() - 500) : tail;
      throw new DeployException("gate", null, "gate hook `" + cmd + "` exited " + p.exitValue() + "; deploy refused: " + tail);
    }
    return null;
  }
}
