package dev.odooagent.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ContainerSpecs} field by field, from inspect documents of real containers. */
class ContainerSpecsTest {
  private static final String NEW = "127.0.0.1:5000/jgtolentino/odoo-ce@sha256:" + "b".repeat(64);
  private static final List<String> COMPOSE_LABELS = List.of("com.docker.compose.container-number",
      "com.docker.compose.oneoff", "com.docker.compose.project", "com.docker.compose.service", "com.docker.compose.version");

  private final JsonObject image = InspectFixtures.json(InspectFixtures.IMAGE_V1).getJsonObject("Config");

  private static ContainerInfo compose() {
    return InspectFixtures.container(InspectFixtures.json(InspectFixtures.COMPOSE));
  }

  private static ContainerInfo host() {
    return InspectFixtures.container(InspectFixtures.json(InspectFixtures.HOST));
  }

  @Test
  void recreateReplacesOnlyTheImageAndLeavesWhatCameFromTheOldImageToTheNewOne() {
    ContainerInfo old = compose();
    ContainerSpec spec = ContainerSpecs.recreate(old, image, NEW, "d-test");
    JsonObject body = spec.body();

    assertEquals("ut-x", spec.name());
    assertEquals(NEW, body.getString("Image"));
    // the fixture's Cmd, Entrypoint, User, Healthcheck and WorkingDir are exactly the image's: the new image's apply
    for (String fromImage : List.of("Cmd", "Entrypoint", "User", "Healthcheck", "WorkingDir", "StopSignal", "Shell", "OnBuild")) {
      assertFalse(body.containsKey(fromImage), fromImage + " came from the old image and must be left out: " + body.getValue(fromImage));
    }
    assertFalse(body.containsKey("Hostname"), "the hostname is the old container's short id, which the engine assigns anew");
    assertEquals(new JsonArray().add("DB_PASSWORD_FILE=/run/secrets/db_password").add("PGAPPNAME=odoo-ut"), body.getJsonArray("Env"),
        "only the operator's env is kept; LANG, ODOO_RC and PATH come from the image");
    Set<String> labels = new java.util.HashSet<>(COMPOSE_LABELS);
    labels.addAll(List.of(ContainerSpecs.LABEL_MANAGED, ContainerSpecs.LABEL_DEPLOY));
    assertEquals(labels, body.getJsonObject("Labels").fieldNames(),
        "compose labels are kept and the agent's own mark added; the image's odoo.modules and OCI labels are not copied");
    assertEquals("d-test", body.getJsonObject("Labels").getString(ContainerSpecs.LABEL_DEPLOY),
        "the deploy id: only this deploy's recovery may remove it");
    assertEquals("odoo", body.getJsonObject("Labels").getString("com.docker.compose.service"));
    assertEquals(new JsonObject(), body.getJsonObject("ExposedPorts"));
    assertEquals(new JsonObject(), body.getJsonObject("Volumes"));
    assertEquals(Boolean.FALSE, body.getBoolean("Tty"));
    assertEquals(Boolean.FALSE, body.getBoolean("OpenStdin"));
    assertEquals("", body.getString("Domainname"));
  }

  @Test
  void recreateCopiesHostConfigVerbatimAsACopy() {
    ContainerInfo old = compose();
    JsonObject oldHost = old.raw().getJsonObject("HostConfig").copy();
    JsonObject host = ContainerSpecs.recreate(old, image, NEW, "d-test").body().getJsonObject("HostConfig");

    assertEquals(oldHost, host);
    assertEquals(new JsonArray().add("ut-x-filestore:/var/lib/odoo").add("/tmp/ut-x-conf/odoo.conf:/etc/odoo/odoo.conf:ro"),
        host.getJsonArray("Binds"));
    assertEquals(new JsonObject().put("8069/tcp", new JsonArray().add(new JsonObject().put("HostIp", "127.0.0.1").put("HostPort", "18499"))),
        host.getJsonObject("PortBindings"));
    assertEquals("unless-stopped", host.getJsonObject("RestartPolicy").getString("Name"));
    assertEquals(768L * 1024 * 1024, host.getLong("Memory"));
    assertEquals("odoo-testbed", host.getString("NetworkMode"));

    host.put("Memory", 1);
    assertEquals(oldHost, old.raw().getJsonObject("HostConfig"), "the spec must not share objects with the inspect document");
  }

  @Test
  void recreateGivesThePrimaryNetworkItsAliasesWithoutTheShortIdAndReturnsExtraNetworksSeparately() {
    ContainerInfo old = compose();
    ContainerSpec spec = ContainerSpecs.recreate(old, image, NEW, "d-test");
    String shortId = old.id().substring(0, 12);
    // the engine added the short id alias on both networks
    assertTrue(old.raw().getJsonObject("NetworkSettings").getJsonObject("Networks").getJsonObject("odoo-testbed")
        .getJsonArray("Aliases").contains(shortId));

    JsonObject endpoints = spec.body().getJsonObject("NetworkingConfig").getJsonObject("EndpointsConfig");
    assertEquals(Set.of("odoo-testbed"), endpoints.fieldNames(), "one endpoint at create time; API 1.41 takes no more");
    assertEquals(new JsonObject().put("Aliases", new JsonArray().add("odoo")), endpoints.getJsonObject("odoo-testbed"),
        "aliases without the short id, and none of the runtime fields (NetworkID, EndpointID, IPAddress, MacAddress)");

    assertEquals(Map.of("ut-extra", new JsonObject().put("Aliases", new JsonArray().add("odoo-extra"))), spec.extraNetworks(),
        "the second network is joined after create, with its alias, without the short id or empty IPAMConfig/DriverOpts");
  }

  @Test
  void recreateKeepsSettingsTheOperatorGaveEvenWhereTheImageHasItsOwn() {
    ContainerInfo old = host();
    JsonObject body = ContainerSpecs.recreate(old, image, NEW, "d-test").body();

    assertEquals("101:101", body.getString("User"));
    assertEquals("/var/lib/odoo", body.getString("WorkingDir"));
    assertEquals(new JsonArray().add("/usr/bin/odoo"), body.getJsonArray("Entrypoint"));
    assertEquals(new JsonArray().add("-c").add("/etc/odoo/odoo.conf").add("--http-port").add("18498"), body.getJsonArray("Cmd"));
    assertEquals(new JsonArray().add("CMD-SHELL").add("curl -fsS http://127.0.0.1:18498/web/health"),
        body.getJsonObject("Healthcheck").getJsonArray("Test"));
    assertEquals(5_000_000_000L, body.getJsonObject("Healthcheck").getLong("Interval"));
    assertEquals(new JsonObject().put("team", "ops").put(ContainerSpecs.LABEL_MANAGED, "true").put(ContainerSpecs.LABEL_DEPLOY, "d-test"),
        body.getJsonObject("Labels"));
    assertEquals(new JsonArray().add("DB_PASSWORD_FILE=/run/secrets/db_password"), body.getJsonArray("Env"));
    assertEquals("vm", body.getString("Hostname"), "on the host network the hostname is the host's, not the container id");
  }

  @Test
  void hostNetworkingHasItsOneEndpointAndNoExtraNetworks() {
    ContainerSpec spec = ContainerSpecs.recreate(host(), image, NEW, "d-test");
    JsonObject body = spec.body();
    assertEquals("host", body.getJsonObject("HostConfig").getString("NetworkMode"));
    assertEquals("no", body.getJsonObject("HostConfig").getJsonObject("RestartPolicy").getString("Name"));
    assertEquals(new JsonObject().put("host", new JsonObject()), body.getJsonObject("NetworkingConfig").getJsonObject("EndpointsConfig"));
    assertTrue(spec.extraNetworks().isEmpty());
  }

  @Test
  void containerNetworkModeGetsNoHostnameAndNoNetworks() {
    // what the engine reports for `--network container:<other>`: the other container's short id as hostname and no
    // networks of its own; the engine refuses a create that sets Hostname in this mode
    JsonObject raw = InspectFixtures.json(InspectFixtures.COMPOSE);
    String other = "6ef7695a936f1f028107ed6cc727fdb1eba49dd0093f02422c45f8d8c36e69b7";
    raw.put("Id", "a7d3e64bd36f79605c19dad156ccb8e7203a88049e61e292005c653cc436fe32");
    raw.getJsonObject("Config").put("Hostname", other.substring(0, 12));
    raw.getJsonObject("HostConfig").put("NetworkMode", "container:" + other).remove("PortBindings");
    raw.getJsonObject("NetworkSettings").put("Networks", new JsonObject());

    ContainerSpec spec = ContainerSpecs.recreate(InspectFixtures.container(raw), image, NEW, "d-test");
    assertFalse(spec.body().containsKey("Hostname"), "conflicting options: hostname and the network mode");
    assertFalse(spec.body().containsKey("NetworkingConfig"));
    assertTrue(spec.extraNetworks().isEmpty());
  }

  @Test
  void withoutTheOldImageConfigEverythingTheContainerHadIsKept() {
    JsonObject body = ContainerSpecs.recreate(compose(), null, NEW, "d-test").body();
    assertEquals(new JsonArray().add("odoo"), body.getJsonArray("Cmd"));
    assertEquals(new JsonArray().add("/usr/local/bin/odoo-entrypoint.sh"), body.getJsonArray("Entrypoint"));
    assertEquals("odoo", body.getString("User"));
    assertEquals(5, body.getJsonArray("Env").size());
    assertTrue(body.getJsonObject("Labels").containsKey("odoo.modules"));
  }

  @Test
  void oneShotCannotBeTakenForTheService() {
    ContainerInfo old = compose();
    ContainerSpec spec = ContainerSpecs.oneShot(old, image, "sha256:ad009bb518ad", "ut-x__snapshot_d1", "d-1", "snapshot",
        null, List.of("python3", "-c", "print(1)", "snapshot", "odoo", "odoo__pre_d1"));
    JsonObject body = spec.body();
    JsonObject host = body.getJsonObject("HostConfig");

    assertEquals("ut-x__snapshot_d1", spec.name());
    assertEquals("sha256:ad009bb518ad", body.getString("Image"));
    assertFalse(host.containsKey("PortBindings"), "a published port would clash with the service's");
    assertEquals(Boolean.FALSE, host.getBoolean("PublishAllPorts"));
    assertEquals(new JsonObject().put("Name", "no"), host.getJsonObject("RestartPolicy"));
    assertEquals(Boolean.FALSE, host.getBoolean("AutoRemove"), "the engine port removes it after reading its logs");
    assertEquals(new JsonObject().put("Test", new JsonArray().add("NONE")), body.getJsonObject("Healthcheck"));
    assertFalse(body.containsKey("Hostname"));
    assertFalse(body.containsKey("ExposedPorts"));
    assertEquals(new JsonObject().put("odoo-agent.managed", "true").put("odoo-agent.deploy", "d-1").put("odoo-agent.role", "snapshot"),
        body.getJsonObject("Labels"), "managed/deploy/role only: no compose labels, so compose never adopts it");
    assertFalse(body.containsKey("Entrypoint"), "no entrypoint given: the image's own runs (it renders odoo.conf)");
    assertEquals(new JsonArray().add("python3").add("-c").add("print(1)").add("snapshot").add("odoo").add("odoo__pre_d1"),
        body.getJsonArray("Cmd"));

    // what it needs to reach the same database and files as the service is kept
    assertEquals(new JsonArray().add("DB_PASSWORD_FILE=/run/secrets/db_password").add("PGAPPNAME=odoo-ut"), body.getJsonArray("Env"));
    assertEquals(old.raw().getJsonObject("HostConfig").getJsonArray("Binds"), host.getJsonArray("Binds"));
    assertEquals("odoo-testbed", host.getString("NetworkMode"));
    assertEquals(768L * 1024 * 1024, host.getLong("Memory"));
    assertEquals(new JsonObject().put("odoo-testbed", new JsonObject()), body.getJsonObject("NetworkingConfig").getJsonObject("EndpointsConfig"),
        "no aliases: a one-shot answering to `odoo` would take the service's traffic");
    assertEquals(Map.of("ut-extra", new JsonObject()), spec.extraNetworks());

    assertNotNull(old.raw().getJsonObject("HostConfig").getJsonObject("PortBindings"), "the inspect document is left alone");
    assertTrue(old.raw().getJsonObject("NetworkSettings").getJsonObject("Networks").getJsonObject("ut-extra").containsKey("Aliases"));
  }

  @Test
  void oneShotRunsTheEntrypointAndCommandAsGiven() {
    ContainerSpec spec = ContainerSpecs.oneShot(compose(), image, NEW, "ut-x__inspect_d1", "d-1", "inspect",
        List.of("python3"), List.of("-c", "print(1)", "manifests", "/mnt/extra-addons"));
    assertEquals(new JsonArray().add("python3"), spec.body().getJsonArray("Entrypoint"));
    assertEquals(new JsonArray().add("-c").add("print(1)").add("manifests").add("/mnt/extra-addons"), spec.body().getJsonArray("Cmd"));
  }

  @Test
  void oneShotOnTheHostNetworkHasNoExtraNetworksAndKeepsTheOperatorsUser() {
    ContainerSpec spec = ContainerSpecs.oneShot(host(), image, NEW, "ut-h__upgrade_d1", "d-1", "upgrade",
        null, List.of("odoo", "-d", "odoo", "-u", "ipai_core", "--stop-after-init"));
    assertTrue(spec.extraNetworks().isEmpty());
    assertEquals(new JsonObject().put("host", new JsonObject()), spec.body().getJsonObject("NetworkingConfig").getJsonObject("EndpointsConfig"));
    assertEquals("101:101", spec.body().getString("User"));
    assertEquals(new JsonObject().put("Name", "no"), spec.body().getJsonObject("HostConfig").getJsonObject("RestartPolicy"));
    assertEquals(new JsonArray().add("odoo").add("-d").add("odoo").add("-u").add("ipai_core").add("--stop-after-init"),
        spec.body().getJsonArray("Cmd"));
  }

  @Test
  void anAnonymousDataVolumeIsCarriedOverByNameButTheAddonsVolumeIsNot() {
    JsonObject raw = InspectFixtures.json(InspectFixtures.COMPOSE);
    String data = "a".repeat(64);
    raw.getJsonArray("Mounts").add(new JsonObject().put("Type", "volume").put("Name", data)
        .put("Source", "/var/lib/docker/volumes/" + data + "/_data").put("Destination", "/srv/data").put("RW", true));
    ContainerInfo old = InspectFixtures.container(raw);
    JsonArray oldBinds = raw.getJsonObject("HostConfig").getJsonArray("Binds");

    JsonArray binds = ContainerSpecs.recreate(old, null, NEW, "d-test").body().getJsonObject("HostConfig").getJsonArray("Binds");

    assertTrue(binds.contains(data + ":/srv/data"), "the data volume keeps its content in the new container: " + binds);
    assertEquals(oldBinds.size() + 1, binds.size(), "nothing else is added: " + binds);
    assertTrue(binds.stream().noneMatch(b -> String.valueOf(b).endsWith(":/mnt/extra-addons")), "the new image brings its addons");
    assertEquals(List.of(InspectFixtures.addonsVolume()), ContainerSpecs.discardedVolumes(old));
    assertTrue(ContainerSpecs.oneShot(old, null, NEW, "x", "d1", "snapshot", null, List.of("true")).body()
        .getJsonObject("HostConfig").getJsonArray("Binds").contains(data + ":/srv/data"), "one-shots see the same data");
  }
}
