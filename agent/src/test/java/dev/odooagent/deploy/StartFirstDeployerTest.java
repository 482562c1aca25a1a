package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.docker.ContainerSpec;
import dev.odooagent.docker.ContainerSpecs;
import dev.odooagent.docker.InspectFixtures;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Start-first deploys over the fake engine: the choice of strategy, the swap, and recovery after a crash at each step. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class StartFirstDeployerTest {
  private static final String V2 = "sha-2222222";
  private static final String D2 = DeployBed.digest('2');
  private static final String V3 = "sha-3333333";
  private static final String D3 = DeployBed.digest('3');
  private static final String BESIDE = "ut-x__next_d1";
  private static final String ASIDE = "ut-x__prev_d1";
  private static final List<String> SWAP_AND_COMMIT = List.of("join new odoo-testbed", "join new ut-extra", "stop old",
      "rename old " + ASIDE, "rename new ut-x", "remove old", "remove volume " + InspectFixtures.addonsVolume());

  @TempDir
  Path dir;

  /**
   * A bed with v2 (ipai_core bumped: an upgrade) and v3 (v1's modules: code only) in the registry; with {@code published}
   * false the service container publishes no host port, as behind the proxy.
   */
  private DeployBed bed(Vertx vertx, boolean published, String... deployLines) {
    DeployBed bed = new DeployBed(vertx, dir, deployLines);
    bed.publish(V2, D2, bed.modulesWith("ipai_core", "18.0.1.1.0"), 10);
    bed.publish(V3, D3, bed.v1Modules(), 20);
    if (!published) {
      hostConfig(bed).remove("PortBindings");
    }
    return bed;
  }

  private static JsonObject hostConfig(DeployBed bed) {
    return bed.docker.byAlias("old").raw.getJsonObject("HostConfig");
  }

  private static <T> void verify(VertxTestContext ctx, Future<T> f, Consumer<T> assertions) {
    f.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
      assertions.accept(v);
      ctx.completeNow();
    })));
  }

  /** Exactly one container holds the service name, and it runs; nothing else of the deploy is left. */
  private static void oneServing(DeployBed bed, String alias) {
    List<FakeDockerEngine.Box> named = bed.docker.containers.values().stream().filter(b -> b.name.equals("ut-x")).toList();
    assertEquals(1, named.size(), "containers named ut-x");
    assertEquals(alias, named.get(0).alias);
    assertTrue(named.get(0).running);
    assertEquals(1, bed.docker.containers.size(), "containers left: " + bed.docker.containers.values().stream().map(b -> b.name).toList());
  }

  @Test
  void aCodeOnlyReleaseStartsBesideTheOldContainerAndStopsTheOldOneOnlyAfterTheNewOnePassedItsGate(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    verify(ctx, bed.run(bed.request("d1", V3, null)), r -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      assertEquals("start-first", r.getString("strategy"));
      assertEquals(new JsonArray(), r.getJsonArray("modules"));
      assertEquals("swap", r.getString("done"));
      List<String> expected = new java.util.ArrayList<>(List.of("pull " + V3, "oneShot check", "create " + BESIDE, "start new",
          "gate new at its address"));
      expected.addAll(SWAP_AND_COMMIT);
      assertEquals(expected, bed.docker.mutations());
      assertEquals("start beside/started", bed.docker.journalAt("create " + BESIDE));
      assertEquals("start beside/created", bed.docker.journalAt("start new"), "the new container's id is on disk before it starts");
      assertEquals("await healthy beside/started", bed.docker.journalAt("gate new at its address"));
      assertEquals("swap/started", bed.docker.journalAt("join new odoo-testbed"), "aliases only after the gate passed");
      assertEquals("swap/started", bed.docker.journalAt("stop old"));
      assertEquals("commit/started", bed.docker.journalAt("remove old"));

      ContainerSpec created = bed.docker.created.get(0);
      assertEquals(BESIDE, created.name());
      assertEquals(DeployBed.REPO + "@" + D3, created.body().getString("Image"));
      JsonObject host = created.body().getJsonObject("HostConfig");
      assertFalse(host.containsKey("PortBindings"), "no host port: the old container holds it");
      assertEquals(false, host.getBoolean("PublishAllPorts"));
      assertFalse(created.body().getJsonObject("NetworkingConfig").getJsonObject("EndpointsConfig").getJsonObject("odoo-testbed")
          .containsKey("Aliases"), "no alias while it is gated: the proxy must not send users to it yet");
      assertFalse(created.extraNetworks().get("ut-extra").containsKey("Aliases"));
      JsonObject nets = bed.docker.byAlias("new").raw.getJsonObject("NetworkSettings").getJsonObject("Networks");
      assertEquals(new JsonArray().add("odoo"), nets.getJsonObject("odoo-testbed").getJsonArray("Aliases"),
          "then the proxy reaches both by the same alias, until the old one stops");
      assertEquals(new JsonArray().add("odoo-extra"), nets.getJsonObject("ut-extra").getJsonArray("Aliases"));
      assertEquals("true", created.body().getJsonObject("Labels").getString(ContainerSpecs.LABEL_MANAGED));

      oneServing(bed, "new");
      assertEquals(D3, bed.store.current().getString("digest"));
      assertEquals(List.of("idle->deploying", "deploying->idle"), bed.transitions);
      assertEquals(1, bed.deployments("success"));
      assertNull(bed.journal.unfinished());
    });
  }

  @Test
  void aContainerTheAgentStartedBesideIsDeployedStartFirstAgain(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    // the engine shows "PortBindings": null for a container created without any, as the agent creates one beside
    hostConfig(bed).putNull("PortBindings");
    bed.docker.byAlias("old").raw.getJsonObject("NetworkSettings").getJsonObject("Networks").getJsonObject("ut-extra").putNull("Aliases");
    verify(ctx, bed.run(bed.request("d1", V3, null)), r -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      assertEquals("start-first", r.getString("strategy"));
    });
  }

  @Test
  void aNewContainerThatFailsItsGateIsRemovedAndTheOldOneIsNeverTouched(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    bed.gate.verdicts.put("new", new HealthGate.Verdict(false, "3 probes of /web/health answered 500"));
    verify(ctx, bed.run(bed.request("d1", V3, null)), r -> {
      assertEquals("rolled_back", r.getString("outcome"), r.encodePrettily());
      assertEquals("health_failed", r.getString("rollback_reason"));
      assertTrue(r.getString("reason").contains("the old container kept serving"), r.getString("reason"));
      assertEquals(List.of("pull " + V3, "oneShot check", "create " + BESIDE, "start new", "gate new at its address", "remove new"),
          bed.docker.mutations(), "no stop, rename, start or gate of the old container: it never stopped");
      oneServing(bed, "old");
      assertEquals(DeployBed.digestOf(bed.v1), bed.store.current().getString("digest"));
      assertTrue(bed.store.rejectedBy(D3) != null, "a rolled-back digest is not retried by triggers");
      assertEquals(1, bed.rollbacks("health_failed"));
      assertEquals(AgentState.IDLE, bed.machine.state());
    });
  }

  @Test
  void aCreateThatLeavesAContainerBehindUnderItsTemporaryNameIsFoundByNameAndRemoved(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    bed.docker.createLeavesContainerAndFails = "POST /networks/ut-extra/connect: engine answered 404: network ut-extra not found";
    verify(ctx, bed.run(bed.request("d1", V3, null)), r -> {
      assertEquals("rolled_back", r.getString("outcome"), r.encodePrettily());
      assertNull(r.getString("new_container_id"));
      assertEquals(List.of("pull " + V3, "oneShot check", "create " + BESIDE, "remove new"), bed.docker.mutations());
      oneServing(bed, "old");
    });
  }

  @Test
  void anUpgradeIsDeployedByRecreateEvenWhenStartFirstIsAsked(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false, "strategy: start-first");
    verify(ctx, bed.run(bed.request("d1", V2, null)), r -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      assertEquals("recreate", r.getString("strategy"), "two versions never serve one database across a schema change");
      assertEquals(List.of("pull " + V2, "oneShot check", "stop old", "rename old " + ASIDE), bed.docker.mutations().subList(0, 4));
    });
  }

  @Test
  void autoRecreatesAContainerThatPublishesAHostPort(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, true);
    verify(ctx, bed.run(bed.request("d1", V3, null)), r -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      assertEquals("recreate", r.getString("strategy"));
      assertEquals(List.of("pull " + V3, "oneShot check", "stop old", "rename old " + ASIDE, "create ut-x", "start new", "gate new"),
          bed.docker.mutations().subList(0, 7));
    });
  }

  @Test
  void strategyRecreateRecreatesACodeOnlyRelease(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false, "strategy: recreate");
    verify(ctx, bed.run(bed.request("d1", V3, null)), r -> {
      assertEquals("recreate", r.getString("strategy"));
      assertEquals("stop old", bed.docker.mutations().get(2));
    });
  }

  @Test
  void strategyStartFirstWithAHostPortIsRefusedBeforeAnythingChanges(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, true, "strategy: start-first");
    verify(ctx, bed.run(bed.request("d1", V3, null)), r -> {
      assertEquals("failed", r.getString("outcome"), r.encodePrettily());
      assertTrue(r.getString("reason").startsWith("deploy.strategy is start-first, but ut-x cannot run beside its replacement: it publishes"
          + " 8069/tcp on the host (127.0.0.1:18499)"), r.getString("reason"));
      assertTrue(r.getString("reason").contains("set deploy.strategy to auto or recreate"), r.getString("reason"));
      assertTrue(r.getString("reason").endsWith("(nothing was changed)"), r.getString("reason"));
      assertEquals(List.of("pull " + V3), bed.docker.mutations());
      oneServing(bed, "old");
    });
  }

  @Test
  void whatKeepsAContainerFromRunningTwiceIsNamed() {
    java.util.Map<String, Consumer<JsonObject>> cases = new java.util.LinkedHashMap<>();
    cases.put("it uses host networking (--network host), so two containers would need the same port",
        raw -> raw.getJsonObject("HostConfig").put("NetworkMode", "host"));
    cases.put("it shares another container's network (container:abc), so two containers would need the same port",
        raw -> raw.getJsonObject("HostConfig").put("NetworkMode", "container:abc"));
    cases.put("it publishes its ports on the host (-P), which only one container can bind",
        raw -> raw.getJsonObject("HostConfig").put("PublishAllPorts", true));
    cases.put("it has a fixed IP address (172.31.250.9), which only one container can hold",
        raw -> raw.getJsonObject("NetworkSettings").getJsonObject("Networks").getJsonObject("odoo-testbed")
            .put("IPAMConfig", new JsonObject().put("IPv4Address", "172.31.250.9")));
    cases.forEach((reason, change) -> {
      JsonObject raw = InspectFixtures.json(InspectFixtures.COMPOSE);
      raw.getJsonObject("HostConfig").remove("PortBindings");
      assertNull(ContainerSpecs.besideObstacle(InspectFixtures.container(raw.copy())));
      change.accept(raw);
      assertEquals(reason, ContainerSpecs.besideObstacle(InspectFixtures.container(raw)));
    });
  }

  /**
   * Kills the agent just before {@code at} takes effect (a docker call, or {@code gate} for the new container's gate) in
   * a start-first deploy of v3, then starts it again and resumes the journal's unfinished deploy.
   */
  private Future<JsonObject> killAndResume(DeployBed bed, String at, Consumer<JsonObject> unfinished) {
    Future<Void> killed;
    if (at.equals("gate")) {
      Promise<Void> reached = Promise.promise();
      bed.gate.holdNext(reached);
      killed = reached.future();
    } else {
      killed = bed.docker.hangAt(at);
    }
    bed.run(bed.request("d1", V3, null));
    return killed.compose(x -> {
      bed.restart();
      JsonObject record = bed.journal.unfinished();
      unfinished.accept(record);
      return bed.on(() -> bed.deployer.resume(record).map(DeployRun::json));
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"create " + BESIDE, "start new"})
  void aCrashBeforeTheNewContainerRanRemovesItAndLeavesTheOldOneServing(String at, Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    verify(ctx, killAndResume(bed, at, u -> {
      assertEquals("start beside", u.getString("interrupted_step"));
      assertEquals("check database", u.getString("done"));
      assertEquals("start-first", u.getString("strategy"));
    }), r -> {
      assertEquals("rolled_back", r.getString("outcome"), r.encodePrettily());
      assertEquals("recovery", r.getString("rollback_reason"));
      assertEquals(at.equals("start new") ? List.of("remove new") : List.of(), bed.docker.mutations(),
          "the old container never stopped: nothing to start or gate");
      oneServing(bed, "old");
      assertNull(bed.journal.unfinished());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"gate", "join new ut-extra", "stop old", "rename old " + ASIDE, "rename new ut-x"})
  void aCrashWhileTheNewContainerRunsBesideTheOldOneGatesItAgainAndFinishesTheSwap(String at, Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    verify(ctx, killAndResume(bed, at, u -> {
      assertEquals(at.equals("gate") ? "await healthy beside" : "swap", u.getString("interrupted_step"));
      assertEquals(at.equals("gate") ? "start beside" : "await healthy beside", u.getString("done"));
    }), r -> {
      assertEquals("success", r.getString("outcome"), r.encodePrettily());
      List<String> rest = at.equals("gate") ? SWAP_AND_COMMIT : SWAP_AND_COMMIT.subList(SWAP_AND_COMMIT.indexOf(at), SWAP_AND_COMMIT.size());
      List<String> expected = new java.util.ArrayList<>(List.of("gate new at its address"));
      expected.addAll(rest);
      assertEquals(expected, bed.docker.mutations(), "each swap action is done once, whatever was done before the crash");
      oneServing(bed, "new");
      assertEquals(D3, bed.store.current().getString("digest"));
      assertNull(bed.journal.unfinished());
    });
  }

  @Test
  void aCrashWhileBesideWhoseNewContainerThenFailsItsGateRollsBackToTheOldOne(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    verify(ctx, killAndResume(bed, "rename old " + ASIDE, u -> {
      assertEquals("swap", u.getString("interrupted_step"));
      // the new container dies while the agent is down
      bed.gate.verdicts.put("new", new HealthGate.Verdict(false, "the container stopped (exited)"));
    }), r -> {
      assertEquals("rolled_back", r.getString("outcome"), r.encodePrettily());
      assertEquals(List.of("gate new at its address", "remove new", "start old", "gate old at its address"), bed.docker.mutations(),
          "the old container was stopped before the crash: it is started and gated again under its own name");
      oneServing(bed, "old");
    });
  }

  @Test
  void aCrashDuringTheCommitFinishesIt(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx, false);
    verify(ctx, killAndResume(bed, "remove old", u -> {
      assertEquals("commit", u.getString("interrupted_step"));
      assertEquals("swap", u.getString("done"));
    }), r -> {
      assertEquals("success", r.getString("outcome"));
      assertEquals(SWAP_AND_COMMIT.subList(5, 7), bed.docker.mutations());
      oneServing(bed, "new");
    });
  }
}
