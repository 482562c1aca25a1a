package dev.odooagent.odoo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.time.Duration;

/** Probes Odoo's {@code /web/health}: a pass is HTTP 200 with {@code "status":"pass"}. */
public final class HealthProbe {
  private final WebClient client;
  private final URI url;
  private final long timeoutMs;

  /** A probe of {@code url}, each request bounded by {@code timeout}. */
  public HealthProbe(Vertx vertx, URI url, Duration timeout) {
    this.client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(false).setUserAgent("odoo-agent"));
    this.url = url;
    this.timeoutMs = Math.max(200, timeout.toMillis());
  }

  /** One probe's verdict, latency and a short reason when it failed. */
  public record Result(boolean pass, double seconds, String reason) {}

  /** Runs one probe; never fails, a failure is a {@code pass=false} result. */
  public Future<Result> probe() {
    long start = System.nanoTime();
    String path = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    int port = url.getPort() > 0 ? url.getPort() : ("https".equals(url.getScheme()) ? 443 : 80);
    return client.get(port, url.getHost(), path).ssl("https".equals(url.getScheme())).timeout(timeoutMs).send()
        .map(resp -> {
          double s = (System.nanoTime() - start) / 1e9;
          if (resp.statusCode() != 200) {
            return new Result(false, s, "HTTP " + resp.statusCode());
          }
          try {
            JsonObject body = resp.bodyAsJsonObject();
            boolean pass = body != null && "pass".equals(body.getString("status"));
            return new Result(pass, s, pass ? "" : "status is not \"pass\"");
          } catch (RuntimeException e) {
            return new Result(false, s, "body is not JSON");
          }
        })
        .otherwise(e -> new Result(false, (System.nanoTime() - start) / 1e9, String.valueOf(e.getMessage())));
  }
}
