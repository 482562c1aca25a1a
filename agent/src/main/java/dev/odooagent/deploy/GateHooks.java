package dev.odooagent.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the configured gate commands (e.g. an image scanner) before anything is stopped; any non-zero exit refuses.
 * Output is drained while a hook runs and only a bounded tail is kept; a hook past {@code deploy.gate_timeout} is
 * killed with everything it started.
 */
public final class GateHooks {
  /** How much of a hook's output is kept for the refusal message. */
  static final int TAIL_BYTES = 4096;
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
    p.getOutputStream().close();
    Tail tail = new Tail(p.getInputStream());
    Thread drain = new Thread(tail, "gate-hook-output");
    drain.setDaemon(true);
    drain.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new DeployException.Refused(Step.GATE_HOOKS, "gate hook `" + cmd + "` did not finish within deploy.gate_timeout ("
          + timeout.toSeconds() + " s) and was killed; deploy refused" + tail.suffix());
    }
    // a background child may hold the pipe open after the hook itself exited: wait briefly, never forever
    drain.join(2000);
    if (p.exitValue() != 0) {
      throw new DeployException.Refused(Step.GATE_HOOKS, "gate hook `" + cmd + "` exited " + p.exitValue()
          + "; deploy refused" + tail.suffix());
    }
    return null;
  }

  /** Reads a stream to its end, keeping only the last {@link #TAIL_BYTES}. */
  private static final class Tail implements Runnable {
    private final InputStream in;
    private final byte[] ring = new byte[TAIL_BYTES];
    private long total;

    Tail(InputStream in) {
      this.in = in;
    }

    @Override
    public void run() {
      byte[] buf = new byte[8192];
      try (in) {
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (this) {
            for (int i = 0; i < n; i++) {
              ring[(int) (total++ % TAIL_BYTES)] = buf[i];
            }
          }
        }
      } catch (IOException closed) {
        // the hook was killed or closed its output: what was read is the tail
      }
    }

    synchronized String suffix() {
      int len = (int) Math.min(total, TAIL_BYTES);
      byte[] out = new byte[len];
      for (int i = 0; i < len; i++) {
        out[i] = ring[(int) ((total - len + i) % TAIL_BYTES)];
      }
      String text = new String(out, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        return "";
      }
      text = text.length() > 500 ? text.substring(text.length() - 500) : text;
      return ": " + (total > 500 ? "…" : "") + text;
    }
  }
}
