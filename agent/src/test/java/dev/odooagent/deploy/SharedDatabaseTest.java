package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.policy.TriggerPolicy;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Two hosts on one database (service.shared_database), each with its own fake engine, over a fake shared server. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SharedDatabaseTest {
  private static final String V2 = "sha-2222222";
  private static final String D2 = DeployBed.digest('2');
  private static final List<String> DATABASE_ONE_SHOTS = List.of("oneShot snapshot", "oneShot upgrade", "oneShot restore", "oneShot drop");

  @TempDir
  Path dir;
  private final FakeSharedDatabase.Server server = new FakeSharedDatabase.Server();
  private final Map<DeployBed, FakeSharedDatabase> sessions = new HashMap<>();

  /** A host with v2 (ipai_core bumped, so a leader snapshots and upgrades) in its registry, sharing the server. */
  private DeployBed host(Vertx vertx, String name) throws Exception {
    Files.createDirectories(dir.resolve(name));
    DeployBed bed = new DeployBed(vertx, dir.resolve(name));
    bed.publish(V2, D2, bed.modulesWith("ipai_core", "18.0.1.1.0"), 10);
    connect(vertx, bed, name);
    return bed;
  }

  /** A new session for the host's (new) deployer, as at agent start. */
  private FakeSharedDatabase connect(Vertx vertx, DeployBed bed, String name) {
    FakeSharedDatabase db = new FakeSharedDatabase(vertx, server, name);
    bed.deployer.sharing(new Coordination(vertx, db, name, Duration.ofMillis(20)));
    sessions.put(bed, db);
    return db;
  }

  private static DeployRun trigger(String id) {
    return DeployRun.start(id, "poll", DeployRun.Kind.TRIGGER, Instant.now(), new DeployRun.Image(V2, null));
  }

  private static List<String> databaseOneShots(DeployBed bed) {
    return bed.docker.mutations().stream().filter(DATABASE_ONE_SHOTS::contains).toList();
  }

  /** What the host changed: its engine calls but the pull and the database check. */
  private static List<String> changes(DeployBed bed) {
    return bed.docker.mutations().stream().filter(m -> !m.startsWith("pull ") && !m.equals("oneShot check")).toList();
  }

  private static String summary(SharedDatabase.Record r) {
    return r.state() + " " + r.host() + " " + r.deployId();
  }

  private static Future<Void> waiting(DeployBed bed, String detail) {
    return bed.until(() -> bed.events.stream().anyMatch(e -> "coordinate".equals(e.getString("step"))
        && "waiting".equals(e.getString("state")) && e.getString("detail", "").contains(detail)));
  }

  @Test
  void theLeaderUpgradesAndTheFollowerWaitsForItsVerdictThenSwapsCodeOnly(Vertx vertx, VertxTestContext ctx) throws Exception {
    DeployBed a = host(vertx, "host-a");
    DeployBed b = host(vertx, "host-b");
    Promise<Void> gating = Promise.promise();
    Promise<HealthGate.Verdict> gate = a.gate.holdNext(gating);
    Future<JsonObject> led = a.run(trigger("a1"));
    Future<JsonObject> followed = gating.future()
        .compose(x -> {
          ctx.verify(() -> {
            assertTrue(sessions.get(a).holds(), "the leader holds the lock through its deploy");
            assertEquals(SharedDatabase.STARTED, server.records.get(D2).state());
          });
          Future<JsonObject> f = b.run(trigger("b1"));
          return waiting(b, "host-a is upgrading the database").map(f);
        })
        .compose(f -> {
          ctx.verify(() -> assertEquals(List.of(), changes(b), "the follower serves the old code while it waits"));
          gate.complete(new HealthGate.Verdict(true, ""));
          return f;
        });
    Future.all(led, followed).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      JsonObject leader = led.result();
      JsonObject follower = followed.result();
      assertEquals("success", leader.getString("outcome"), leader.encodePrettily());
      assertEquals("success", follower.getString("outcome"), follower.encodePrettily());
      assertEquals(List.of("oneShot snapshot", "oneShot upgrade"), databaseOneShots(a));
      assertEquals(List.of(), databaseOneShots(b), "no snapshot, upgrade, restore or drop on the follower: " + b.docker.mutations());
      assertTrue(b.docker.mutations().containsAll(List.of("stop old", "create ut-x", "start new", "gate new", "remove old")));
      assertEquals(new JsonArray(), follower.getJsonArray("modules"));
      assertNull(follower.getString("copy"));
      assertEquals("success host-a a1", summary(server.records.get(D2)));
      assertNull(server.owner, "the lock is free after the verdict");
      assertEquals(D2, b.store.current().getString("digest"));
      ctx.completeNow();
    })));
  }

  @Test
  void aDigestTheLeaderRolledBackIsNeverStartedByTheFollowerAndStaysRefusedThere(Vertx vertx, VertxTestContext ctx) throws Exception {
    DeployBed a = host(vertx, "host-a");
    DeployBed b = host(vertx, "host-b");
    Promise<Void> gating = Promise.promise();
    Promise<HealthGate.Verdict> gate = a.gate.holdNext(gating);
    Future<JsonObject> led = a.run(trigger("a1"));
    Future<JsonObject> followed = gating.future()
        .compose(x -> {
          Future<JsonObject> f = b.run(trigger("b1"));
          return waiting(b, "host-a is upgrading the database").map(f);
        })
        .compose(f -> {
          gate.complete(new HealthGate.Verdict(false, "500 from /web/health"));
          return f;
        });
    Future.all(led, followed).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals("rolled_back", led.result().getString("outcome"));
      assertTrue(databaseOneShots(a).contains("oneShot restore"), "the leader restores the database: " + a.docker.mutations());
      JsonObject follower = followed.result();
      assertEquals("skipped", follower.getString("outcome"), follower.encodePrettily());
      assertTrue(follower.getString("reason").contains("host host-a rolled it back in deploy a1"), follower.getString("reason"));
      assertEquals(List.of(), changes(b), "the follower changed nothing");
      assertNotNull(b.store.rejectedBy(D2));
      assertFalse(new TriggerPolicy("latest", b.cfg.service().tagPattern()).admit(D2, b.store).accepted(),
          "the forward-only policy refuses the digest on the follower from now on");
      assertEquals(SharedDatabase.ROLLED_BACK, server.records.get(D2).state());
      ctx.completeNow();
    })));
  }

  @Test
  void aHostThatGetsTheLockAfterTheLeaderDiedMidUpgradeWaitsForItsRecoveryInsteadOfUpgrading(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    DeployBed a = host(vertx, "host-a");
    DeployBed b = host(vertx, "host-b");
    Future<Void> killed = a.docker.hangAt("oneShot upgrade");
    a.run(trigger("a1"));
    Future<JsonObject> followed = killed.compose(x -> {
      // the leader's process dies: its session, and with it the lock, goes
      sessions.get(a).loseSession();
      Future<JsonObject> f = b.run(trigger("b1"));
      return waiting(b, "gave no verdict").map(f);
    }).compose(f -> {
      ctx.verify(() -> {
        assertEquals(List.of(), changes(b), "the follower took nothing over");
        assertEquals(SharedDatabase.STARTED, server.records.get(D2).state());
      });
      a.restart();
      connect(vertx, a, "host-a");
      JsonObject unfinished = a.journal.unfinished();
      return a.on(() -> a.deployer.resume(unfinished).map(DeployRun::json)).compose(r -> {
        ctx.verify(() -> assertEquals("rolled_back", r.getString("outcome"), r.encodePrettily()));
        return f;
      });
    });
    followed.onComplete(ctx.succeeding(follower -> ctx.verify(() -> {
      assertTrue(a.docker.mutations().contains("oneShot restore"), "the leader's recovery restored the database: " + a.docker.mutations());
      assertEquals("skipped", follower.getString("outcome"), follower.encodePrettily());
      assertEquals(List.of(), changes(b));
      assertNotNull(b.store.rejectedBy(D2));
      ctx.completeNow();
    })));
  }

  @Test
  void whenTheLeaderLosesTheLockMidDeployItsStartedRecordStillKeepsTheOthersFromUpgrading(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    DeployBed a = host(vertx, "host-a");
    DeployBed b = host(vertx, "host-b");
    Promise<Void> gating = Promise.promise();
    Promise<HealthGate.Verdict> gate = a.gate.holdNext(gating);
    Future<JsonObject> led = a.run(trigger("a1"));
    Future<JsonObject> followed = gating.future().compose(x -> {
      sessions.get(a).loseSession();
      Future<JsonObject> f = b.run(trigger("b1"));
      return waiting(b, "gave no verdict").map(f);
    }).compose(f -> {
      ctx.verify(() -> assertEquals(List.of(), changes(b)));
      gate.complete(new HealthGate.Verdict(true, ""));
      return f;
    });
    Future.all(led, followed).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      assertEquals("success", led.result().getString("outcome"));
      assertEquals("success", followed.result().getString("outcome"), followed.result().encodePrettily());
      assertEquals(List.of("oneShot snapshot", "oneShot upgrade"), databaseOneShots(a));
      assertEquals(List.of(), databaseOneShots(b), b.docker.mutations().toString());
      assertTrue(sessions.get(b).calls.stream().noneMatch(c -> c.startsWith("started")), "the follower never led: " + sessions.get(b).calls);
      ctx.completeNow();
    })));
  }

  @Test
  void aLeaderStoppedBeforeItChangedAnythingForgetsItsRecordSoThatAnotherHostMayLead(Vertx vertx, VertxTestContext ctx) throws Exception {
    DeployBed a = host(vertx, "host-a");
    DeployBed b = host(vertx, "host-b");
    Promise<Void> recorded = Promise.promise();
    sessions.get(a).dieAfterStarted = recorded;
    a.run(trigger("a1"));
    recorded.future().compose(x -> {
      sessions.get(a).loseSession();
      a.restart();
      connect(vertx, a, "host-a");
      JsonObject unfinished = a.journal.unfinished();
      return a.on(() -> a.deployer.resume(unfinished).map(DeployRun::json));
    }).compose(r -> {
      ctx.verify(() -> {
        assertEquals("failed", r.getString("outcome"), r.encodePrettily());
        assertNull(server.records.get(D2), "the record of a deploy that changed nothing is forgotten");
      });
      return b.run(trigger("b1"));
    }).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      assertEquals(List.of("oneShot snapshot", "oneShot upgrade"), databaseOneShots(b), "host-b led the upgrade");
      assertEquals("success host-b b1", summary(server.records.get(D2)));
      ctx.completeNow();
    })));
  }

  @Test
  void anOperatorRetriesADigestRolledBackBeforeItAskedButFollowsARollbackRecordedWhileItWaited(Vertx vertx, VertxTestContext ctx)
      throws Exception {
    DeployBed b = host(vertx, "host-b");
    Instant asked = Instant.now();
    server.put(D2, new SharedDatabase.Record(SharedDatabase.ROLLED_BACK, "host-a", "a1", "upgrade_failed", asked.plusSeconds(1)));
    DeployRun concurrent = DeployRun.start("b1", "mqtt", DeployRun.Kind.OPERATOR, asked, new DeployRun.Image(V2, null));
    b.run(concurrent).compose(r -> {
      ctx.verify(() -> {
        assertEquals("skipped", r.getString("outcome"), "asked while host-a tried it: " + r.encodePrettily());
        assertEquals(List.of(), changes(b));
      });
      server.put(D2, new SharedDatabase.Record(SharedDatabase.ROLLED_BACK, "host-a", "a1", "upgrade_failed", Instant.now()));
      return b.run(b.request("b2", V2, null));
    }).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      assertEquals("success", r.getString("outcome"), "asked after the rollback: a deliberate retry " + r.encodePrettily());
      assertEquals(List.of("oneShot snapshot", "oneShot upgrade"), databaseOneShots(b), "host-b led the retry");
      assertEquals("success host-b b2", summary(server.records.get(D2)));
      ctx.completeNow();
    })));
  }
}
