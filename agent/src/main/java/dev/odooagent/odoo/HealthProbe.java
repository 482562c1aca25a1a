package dev.odooagent.odoo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import dev.odooagent.docker.ContainerInfo;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * Probes Odoo's {@code /web/health}: a pass is HTTP 200 with {@code "status":"pass"}. When the URL's host is one of
 * the container's network aliases or its name (the alias form, {@code http://odoo:8069/web/health}), each container is
 * probed at its own address on that network, so that two containers sharing an alias are told apart.
 */
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

  /** Runs one probe of the configured URL; never fails, a failure is a {@code pass=false} result. */
  public Future<Result> probe() {
    return probe(url);
  }

  /**
   * Where {@code c} is probed: in the alias form, at its address on the network where the host names it; with
   * {@code own}, at its address on its first network whatever the host; else the configured URL. Null {@code c}
   * (not inspected) gives the configured URL.
   */
  public URI at(ContainerInfo c, boolean own) {
    if (c == null) {
      return url;
    }
    JsonObject nets = c.raw().getJsonObject("NetworkSettings", new JsonObject()).getJsonObject("Networks", new JsonObject());
    String first = null;
    for (String n : nets.fieldNames()) {
      JsonObject ep = nets.getJsonObject(n);
      String ip = ep.getString("IPAddress");
      if (ip == null || ip.isEmpty()) {
        continue;
      }
      first = first == null ? ip : first;
      // the engine shows null for an endpoint without aliases
      JsonArray aliases = ep.getJsonArray("Aliases");
      if ((aliases != null && aliases.contains(url.getHost())) || url.getHost().equals(c.name())) {
        return withHost(ip);
      }
    }
    return own && first != null ? withHost(first) : url;
  }

  private URI withHost(String ip) {
    try {
      return new URI(url.getScheme(), url.getUserInfo(), ip, url.getPort(), url.getPath(), url.getQuery(), null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Runs one probe of {@code url}; never fails, a failure is a {@code pass=false} result. */
  public Future<Result> probe(URI url) {
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
