package dev.odooagent.notify;

import dev.odooagent.config.Secret;
import dev.odooagent.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts each verdict named in {@code notify.on} to the chat webhook, retrying on Vert.x timers. It only reports: it never
 * delays or changes a deploy, and it never logs the URL, which holds a token.
 */
public final class Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
  /** Waits before each retry; four attempts in all over about 40 s. */
  public static final List<Duration> BACKOFF = List.of(Duration.ofSeconds(2), Duration.ofSeconds(8), Duration.ofSeconds(30));
  private static final long REQUEST_TIMEOUT_MS = 10_000;

  private final Vertx vertx;
  private final WebClient client;
  private final Secret url;
  private final List<String> on;
  private final List<String> secrets;
  private final Metrics metrics;
  private final List<Duration> backoff;

  /** A notifier posting to {@code url}; {@code secrets} are values that must never appear in a message. */
  public Notifier(Vertx vertx, Secret url, List<String> on, List<String> secrets, Metrics metrics, List<Duration> backoff) {
    this.vertx = vertx;
    this.url = url;
    this.on = List.copyOf(on);
    this.secrets = secrets.stream().filter(s -> s != null).toList();
    this.metrics = metrics;
    this.backoff = List.copyOf(backoff);
    this.client = WebClient.create(vertx, new WebClientOptions().setUserAgent("odoo-agent").setConnectTimeout(5000));
  }

  /** Sends {@code v} if its outcome is wanted; completes true once sent, false when skipped or given up. Never fails. */
  public Future<Boolean> send(DeployVerdict v) {
    if (!on.contains(v.outcome())) {
      return Future.succeededFuture(false);
    }
    Buffer body = Buffer.buffer(Message.of(v, secrets).encode());
    Promise<Boolean> done = Promise.promise();
    attempt(v, body, 0, done);
    return done.future();
  }

  private void attempt(DeployVerdict v, Buffer body, int n, Promise<Boolean> done) {
    client.postAbs(url.reveal()).timeout(REQUEST_TIMEOUT_MS).putHeader("Content-Type", "application/json").sendBuffer(body)
        .onComplete(ar -> {
          int status = ar.succeeded() ? ar.result().statusCode() : 0;
          if (status >= 200 && status < 300) {
            metrics.notification("sent");
            LOG.info("deploy {}: notification of {} sent (HTTP {})", v.id(), v.outcome(), status);
            done.complete(true);
            return;
          }
          String why = ar.succeeded() ? "HTTP " + status : masked(ar.cause());
          // another 4xx means the URL or the payload is wrong: the same request will fail again
          boolean retry = n < backoff.size() && (status == 0 || status >= 500 || status == 408 || status == 429);
          if (retry) {
            Duration wait = backoff.get(n);
            LOG.warn("deploy {}: notification of {} failed ({}), attempt {} of {}; retrying in {} ms", v.id(), v.outcome(), why,
                n + 1, backoff.size() + 1, wait.toMillis());
            vertx.setTimer(Math.max(1, wait.toMillis()), t -> attempt(v, body, n + 1, done));
            return;
          }
          metrics.notification("failed");
          LOG.error("deploy {}: notification of {} not sent after {} attempt(s): {} (check notify.webhook_url_file and that the chat"
              + " service answers)", v.id(), v.outcome(), n + 1, why);
          done.complete(false);
        });
  }

  /** The failure without the URL or any part of it that could hold the token. */
  private String masked(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    String u = url.reveal();
    m = m.replace(u, "<notify url>");
    URI parsed = URI.create(u);
    for (String part : new String[] {parsed.getRawPath(), parsed.getRawQuery(), parsed.getRawUserInfo()}) {
      if (part != null && part.length() > 1) {
        m = m.replace(part, "<…>");
      }
    }
    return m;
  }

  /** Closes the HTTP client. */
  public void close() {
    client.close();
  }
}
