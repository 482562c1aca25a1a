package dev.odooagent.http;

import dev.odooagent.config.Secret;
import dev.odooagent.deploy.Commands;
import dev.odooagent.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The admin listener: the status page, /healthz, /metrics, /status, /history, deploy event streams, and the bearer-protected command POSTs. */
public final class AdminServer {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final int MAX_BODY = 64 * 1024;
  private final Vertx vertx;
  private final Metrics metrics;
  private final Commands commands;
  private final Secret adminToken;
  private HttpServer server;
  private DeployFeed feed;

  /** An admin server; with no admin token configured every POST is refused. */
  public AdminServer(Vertx vertx, Metrics metrics, Commands commands, Secret adminToken) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.commands = commands;
    this.adminToken = adminToken;
  }

  /** Serves {@code GET /deploys/{id}/events} from {@code feed}; call before {@link #start}. */
  public AdminServer withFeed(DeployFeed feed) {
    this.feed = feed;
    return this;
  }

  /** Binds the listener; completes with the bound port. */
  public Future<Integer> start(String host, int port) {
    Router r = Router.router(vertx);
    r.get("/healthz").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")));
    r.get("/metrics").handler(ctx -> ctx.response().putHeader("Content-Type", Metrics.contentType()).end(metrics.scrape()));
    r.get("/status").handler(ctx -> json(ctx, 200, commands.status()));
    r.get("/history").handler(this::history);
    r.get("/").handler(this::page);
    if (feed != null) {
      r.get("/deploys/:id/events").handler(ctx -> feed.handle(ctx, commands));
    }
    r.get("/rollback").handler(ctx -> json(ctx, 200, commands.rollbackPlan()));
    r.post().handler(this::jsonOnly);
    // false: no file uploads, so no upload directory is ever created (the unit's file system is read-only anyway)
    r.post().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY).setMergeFormAttributes(false));
    r.post("/deploy").handler(ctx -> command(ctx, b -> commands.deploy(b.getString("tag"), b.getString("digest"), b.getBoolean("force", false), "admin")));
    r.post("/pin").handler(ctx -> command(ctx, b -> commands.pin(b.getString("tag"), b.getString("digest"), "admin")));
    r.post("/unpin").handler(ctx -> command(ctx, b -> commands.unpin("admin")));
    r.post("/approve").handler(ctx -> command(ctx, b -> commands.approve("admin")));
    r.post("/rollback").handler(ctx -> command(ctx, b -> commands.rollback(Commands.RollbackMode.of(b.getString("mode")), "admin")));
    r.route().failureHandler(this::failure);
    server = vertx.createHttpServer();
    return server.requestHandler(r).listen(port, host).map(HttpServer::actualPort);
  }

  /** Closes the listener. */
  public Future<Void> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void history(RoutingContext ctx) {
    int limit = 20;
    String l = ctx.request().getParam("limit");
    if (l != null) {
      try {
        limit = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 1000) {
        json(ctx, 400, new JsonObject().put("error", "limit=" + l + " is not a number from 1 to 1000"));
        return;
      }
    }
    ctx.response().putHeader("Content-Type", "application/json").end(commands.history(limit).encode());
  }

  private void page(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").putHeader("Content-Security-Policy", StatusPage.CSP)
        .putHeader("X-Content-Type-Options", "nosniff").putHeader("Cache-Control", "no-store")
        .end(StatusPage.render(commands.status(), commands.history(10), java.time.Instant.now()));
  }

  private void jsonOnly(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    if (JsonOnly.accepts(type)) {
      ctx.next();
    } else {
      json(ctx, 415, new JsonObject().put("error", "request refused: " + JsonOnly.refusal(type)
          + ", e.g. curl -H 'Content-Type: application/json' -d '{\"tag\":\"sha-0123abc\"}'"));
    }
  }

  /** Answers what a handler or the body reader failed with as JSON: never a stack trace, never an HTML page. */
  private void failure(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    int status = ctx.statusCode();
    if (status == 413) {
      json(ctx, 413, new JsonObject().put("error", "request body is larger than " + MAX_BODY + " bytes"));
    } else if (status >= 400 && status < 500) {
      json(ctx, status, new JsonObject().put("error", "request could not be read (HTTP " + status + ")"));
    } else if (ctx.failure() instanceof IllegalArgumentException || ctx.failure() instanceof ClassCastException) {
      json(ctx, 400, new JsonObject().put("error", "request body could not be used: " + ctx.failure().getMessage()));
    } else {
      LOG.error("admin request {} {} failed", ctx.request().method(), ctx.request().path(), ctx.failure());
      json(ctx, 500, new JsonObject().put("error", "internal error in the agent (see its log)"));
    }
  }

  private void command(RoutingContext ctx, Function<JsonObject, Future<String>> action) {
    if (adminToken == null) {
      json(ctx, 403, new JsonObject().put("error", "admin commands are off: no admin token is configured (set http.admin_token_file)"));
      return;
    }
    String auth = ctx.request().getHeader("Authorization");
    String expected = "Bearer " + adminToken.reveal();
    if (auth == null || !MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
      json(ctx, 401, new JsonObject().put("error", "missing or wrong bearer token (use the token in http.admin_token_file)"));
      return;
    }
    JsonObject body;
    try {
      String text = ctx.body().asString();
      body = text == null || text.isBlank() ? new JsonObject() : new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      json(ctx, 400, new JsonObject().put("error", "request body is not a JSON object"));
      return;
    }
    Future<String> f;
    try {
      f = action.apply(body);
    } catch (ClassCastException | IllegalArgumentException e) {
      json(ctx, 400, new JsonObject().put("error", "request body could not be used: " + e.getMessage()));
      return;
    }
    f.onSuccess(id -> {
      metrics.event("admin", "accepted");
      json(ctx, 202, new JsonObject().put("deploy_id", id));
    }).onFailure(e -> {
      metrics.event("admin", "rejected");
      json(ctx, e instanceof IllegalArgumentException ? 400 : 409, new JsonObject().put("error", e.getMessage()));
    });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
