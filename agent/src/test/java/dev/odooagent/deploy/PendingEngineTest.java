package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.MutableClock;
import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import dev.odooagent.event.Verdict;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The engine with approval mode and a maintenance window: what becomes pending, what releases it, what drops it. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PendingEngineTest {
  private static final String WINDOW = "window: 'Mon-Sun 01:00-02:00 UTC'";
  /** Wednesday noon: the window is closed. */
  private static final Instant NOON = Instant.parse("2026-12-02T12:00:00Z");
  private static final Instant OPENING = Instant.parse("2026-12-03T01:00:00Z");

  @TempDir
  Path dir;

  private static String tag(int n) {
    return "sha-" + (1000000 + n);
  }

  private static String digest(int n) {
    return "sha256:" + String.format("%064x", 0xe000 + n);
  }

  private static DeployBed bed(Vertx vertx, Path dir, String... deployLines) {
    DeployBed bed = new DeployBed(vertx, dir, deployLines);
    for (int n = 0; n < 4; n++) {
      bed.publish(tag(n), digest(n), bed.v1Modules(), n + 1);
    }
    return bed;
  }

  private static Trigger trigger(int n) {
    return new Trigger(Source.REGISTRY, tag(n), digest(n), null, Instant.now());
  }

  private static Future<Void> pending(DeployBed bed, int n) {
    return bed.until(() -> bed.store.pending() != null && digest(n).equals(bed.store.pending().getString("digest")));
  }

  /** Once the pending version is on disk, where a restarted agent finds it. */
  private static Future<Void> written(DeployBed bed, int n) {
    Path state = bed.cfg.stateDir().resolve("state.json");
    return bed.until(() -> {
      try {
        return Files.exists(state) && new JsonObject(Files.readString(state)).getJsonObject("pending", new JsonObject())
            .getString("digest", "").equals(digest(n));
      } catch (IOException | RuntimeException e) {
        return false;
      }
    });
  }

  private static Future<Void> settled(DeployBed bed, Engine engine, int verdicts) {
    return bed.until(() -> !engine.busy() && bed.journal.history(100).size() == verdicts);
  }

  @Test
  void inApprovalModeTheNewestTriggerWaitsAndApproveDeploysItAsAnOperatorCommand(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, "auto: false");
    Engine engine = bed.engine(Duration.ZERO);
    bed.on(() -> {
      ctx.verify(() -> {
        assertEquals(Verdict.ACCEPTED, engine.offer(trigger(1)));
        assertEquals(Verdict.ACCEPTED, engine.offer(trigger(2)));
      });
      return Future.succeededFuture();
    }).compose(x -> pending(bed, 2)).compose(x -> bed.on(() -> {
      ctx.verify(() -> {
        assertEquals(Verdict.IGNORED, engine.offer(trigger(2)), "the poll finding the pending digest again changes nothing");
        JsonObject p = engine.status().getJsonObject("pending");
        assertEquals(tag(2), p.getString("tag"));
        assertEquals(digest(2), p.getString("digest"));
        assertEquals("approval mode (deploy.auto: false): an operator deploys it with `odoo-agent approve`", p.getString("reason"));
        assertNull(p.getString("next_opening"), "no window releases it");
        assertEquals("registry", p.getString("source"));
        assertEquals(1, bed.metric("odoo_agent_pending"));
        assertFalse(engine.busy());
        assertEquals(List.of(), bed.docker.mutations(), "nothing was pulled or touched");
        assertEquals(0, bed.journal.history(10).size());
      });
      return engine.approve("admin");
    })).compose(id -> settled(bed, engine, 1).map(id)).onComplete(ctx.succeeding(id -> ctx.verify(() -> {
      JsonObject v = bed.journal.lastVerdict();
      assertEquals(id, v.getString("id"));
      assertEquals("success", v.getString("outcome"));
      assertEquals(digest(2), v.getJsonObject("to").getString("digest"), "the newest pending version replaced the older");
      assertEquals("admin", v.getString("source"));
      assertEquals("operator", bed.journalLines().get(0).getJsonObject("record").getString("kind"));
      assertNull(engine.status().getValue("pending"));
      assertTrue(engine.status().containsKey("pending"));
      assertEquals(0, bed.metric("odoo_agent_pending"));
      assertEquals(1, bed.deployments("success"));
      assertEquals(0, bed.deployments("skipped"), "a replaced pending version was never queued");
      ctx.completeNow();
    })));
  }

  @Test
  void approvingWithNothingPendingIsRefused(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, "auto: false");
    Engine engine = bed.engine(Duration.ZERO);
    bed.on(() -> engine.approve("mqtt")).onComplete(ar -> ctx.verify(() -> {
      assertTrue(ar.failed());
      assertTrue(ar.cause() instanceof IllegalStateException);
      assertEquals("nothing is pending: no automatic deploy waits for approval or the maintenance window "
          + "(see pending in `odoo-agent status --json`)", ar.cause().getMessage());
      assertFalse(engine.busy());
      ctx.completeNow();
    }));
  }

  @Test
  void thePendingVersionSurvivesARestartAndIsApprovedAfterIt(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, "auto: false");
    Engine before = bed.engine(Duration.ZERO);
    bed.on(() -> Future.succeededFuture(before.offer(trigger(3)))).compose(x -> written(bed, 3)).compose(x -> {
      bed.restart();
      Engine after = bed.engine(Duration.ZERO);
      ctx.verify(() -> {
        assertEquals(digest(3), after.status().getJsonObject("pending").getString("digest"));
        assertEquals(1, bed.metric("odoo_agent_pending"), "the gauge is set from the state at start");
      });
      return bed.on(() -> after.approve("mqtt")).compose(id -> settled(bed, after, 1));
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals(digest(3), bed.store.current().getString("digest"));
      assertEquals("mqtt", bed.journal.lastVerdict().getString("source"));
      assertNull(bed.store.pending());
      ctx.completeNow();
    })));
  }

  @Test
  void aPendingVersionRolledBackOnThisHostIsDroppedNotApproved(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, "auto: false");
    Engine engine = bed.engine(Duration.ZERO);
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(1))))
        .compose(x -> pending(bed, 1))
        .compose(x -> bed.store.rejected(digest(1), "deploy d9 rolled back: health_failed"))
        .compose(x -> bed.on(() -> engine.approve("admin")))
        .onComplete(ar -> ctx.verify(() -> {
          assertTrue(ar.failed());
          assertEquals("the pending version " + tag(1) + "@" + digest(1) + " was dropped, not deployed: " + digest(1)
              + " was rolled back on this host (deploy d9 rolled back: health_failed); only an operator may deploy it again",
              ar.cause().getMessage());
          assertNull(bed.store.pending());
          assertEquals(0, bed.metric("odoo_agent_pending"));
          assertFalse(engine.busy());
          assertEquals(List.of(), bed.docker.mutations());
          ctx.completeNow();
        }));
  }

  @Test
  void theTimerDropsAPendingVersionThatWasRolledBackEvenBeforeTheWindowOpens(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, WINDOW);
    Engine engine = bed.engine(Duration.ZERO, new MutableClock(NOON));
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(1))))
        .compose(x -> pending(bed, 1))
        .compose(x -> bed.store.rejected(digest(1), "deploy d9 rolled back: upgrade_failed"))
        .compose(x -> {
          engine.releaseDue();
          return bed.until(() -> bed.store.pending() == null);
        }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
          assertEquals(0, bed.metric("odoo_agent_pending"));
          assertFalse(engine.busy());
          assertEquals(0, bed.journal.history(10).size());
          ctx.completeNow();
        })));
  }

  @Test
  void aFailedVerdictKeepsThePendingVersionWaitingWhenTheWindowOpensAndStatusSaysWhy(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, WINDOW);
    MutableClock clock = new MutableClock(NOON);
    Engine engine = bed.engine(Duration.ZERO, clock);
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(1))))
        .compose(x -> pending(bed, 1))
        .compose(x -> bed.store.failed(new JsonObject().put("deploy_id", "d9").put("reason", "rollback failed")))
        .compose(x -> {
          clock.set(OPENING.plusSeconds(5));
          engine.releaseDue();
          return bed.on(() -> Future.succeededFuture(engine.status()));
        }).onComplete(ctx.succeeding(status -> ctx.verify(() -> {
          assertFalse(engine.busy(), "automatic deploys wait for an operator, the pending one too");
          assertEquals(digest(1), bed.store.pending().getString("digest"), "kept: FAILED does not make it older");
          assertTrue(status.getJsonObject("pending").getString("reason").startsWith("the agent is FAILED (rollback failed)"),
              status.encode());
          assertNull(status.getJsonObject("pending").getString("next_opening"));
          ctx.completeNow();
        })));
  }

  @Test
  void pinningDropsThePendingVersion(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, "auto: false");
    Engine engine = bed.engine(Duration.ZERO);
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(2))))
        .compose(x -> pending(bed, 2))
        .compose(x -> bed.on(() -> engine.pin(tag(1), null, "admin")))
        .compose(id -> settled(bed, engine, 1))
        .onComplete(ctx.succeeding(x -> ctx.verify(() -> {
          assertNull(bed.store.pending(), "the operator chose a version; the channel's pending one no longer applies");
          assertEquals(digest(1), bed.store.current().getString("digest"));
          ctx.completeNow();
        })));
  }

  @Test
  void outsideTheWindowATriggerWaitsWithTheNextOpeningAndRunsWhenItOpensWithNoOperator(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, WINDOW);
    MutableClock clock = new MutableClock(NOON);
    Engine engine = bed.engine(Duration.ZERO, clock);
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(1)))).compose(x -> pending(bed, 1)).compose(x -> {
      ctx.verify(() -> {
        JsonObject p = engine.status().getJsonObject("pending");
        assertEquals("outside the maintenance window Mon-Sun 01:00-02:00 UTC (deploy.window); it opens at "
            + OPENING, p.getString("reason"));
        assertEquals(OPENING.toString(), p.getString("next_opening"));
      });
      engine.releaseDue();
      // a check while closed is a no-op: the barrier below runs after it on the same context
      return bed.on(() -> Future.succeededFuture());
    }).compose(x -> {
      ctx.verify(() -> {
        assertFalse(engine.busy());
        assertEquals(digest(1), bed.store.pending().getString("digest"));
      });
      clock.set(OPENING.plusSeconds(20));
      engine.releaseDue();
      return settled(bed, engine, 1);
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      JsonObject v = bed.journal.lastVerdict();
      assertEquals("success", v.getString("outcome"));
      assertEquals(digest(1), v.getJsonObject("to").getString("digest"));
      assertEquals("registry", v.getString("source"), "still the trigger's deploy, not an operator's");
      assertEquals("trigger", bed.journalLines().get(0).getJsonObject("record").getString("kind"));
      assertNull(bed.store.pending());
      assertEquals(0, bed.metric("odoo_agent_pending"));
      ctx.completeNow();
    })));
  }

  @Test
  void aVersionPendingTheWindowRunsWhenAnEngineStartedAfterARestartFindsTheWindowOpen(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, WINDOW);
    Engine before = bed.engine(Duration.ZERO, new MutableClock(NOON));
    bed.on(() -> Future.succeededFuture(before.offer(trigger(2)))).compose(x -> written(bed, 2)).compose(x -> {
      bed.restart();
      Engine after = bed.engine(Duration.ZERO, new MutableClock(OPENING.plusSeconds(600)));
      after.releaseDue();
      return settled(bed, after, 1);
    }).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals(digest(2), bed.store.current().getString("digest"));
      assertNull(bed.store.pending());
      ctx.completeNow();
    })));
  }

  @Test
  void anOperatorDeployIgnoresTheWindowAndThePendingVersionStaysForIt(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, WINDOW);
    Engine engine = bed.engine(Duration.ZERO, new MutableClock(NOON));
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(2)))).compose(x -> pending(bed, 2))
        .compose(x -> bed.on(() -> engine.deploy(tag(1), null, false, "admin")))
        .compose(id -> settled(bed, engine, 1))
        .onComplete(ctx.succeeding(x -> ctx.verify(() -> {
          assertEquals(digest(1), bed.store.current().getString("digest"), "deployed outside the window");
          assertEquals(digest(2), bed.store.pending().getString("digest"), "the channel's version still waits for the window");
          ctx.completeNow();
        })));
  }

  @Test
  void aDeployStartedInTheWindowFinishesAfterItClosesButATriggerQueuedBehindItWaits(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, dir, WINDOW);
    MutableClock clock = new MutableClock(OPENING.plusSeconds(3590));
    Engine engine = bed.engine(Duration.ZERO, clock);
    Promise<Void> gateReached = Promise.promise();
    Promise<HealthGate.Verdict> gate = bed.gate.holdNext(gateReached);
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(1)))).compose(x -> gateReached.future()).compose(x -> bed.on(() -> {
      ctx.verify(() -> assertEquals(Verdict.ACCEPTED, engine.offer(trigger(2))));
      clock.set(OPENING.plusSeconds(3600));
      gate.complete(new HealthGate.Verdict(true, ""));
      return Future.succeededFuture();
    })).compose(x -> pending(bed, 2)).compose(x -> settled(bed, engine, 1)).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      JsonObject v = bed.journal.lastVerdict();
      assertEquals("success", v.getString("outcome"), "the deploy that started at 01:59:50 finished after 02:00");
      assertEquals(digest(1), v.getJsonObject("to").getString("digest"));
      assertFalse(engine.busy(), "the trigger queued behind it did not start outside the window");
      assertEquals(digest(2), bed.store.pending().getString("digest"));
      assertEquals(0, bed.deployments("skipped"));
      ctx.completeNow();
    })));
  }
}
