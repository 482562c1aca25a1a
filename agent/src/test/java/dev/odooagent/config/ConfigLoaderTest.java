package dev.odooagent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  private ConfigLoader.Loaded load(String yaml, Map<String, String> env) throws IOException {
    Path f = dir.resolve("agent.yaml");
    Files.writeString(f, yaml);
    return new ConfigLoader(env).load(f);
  }

  private String error(String yaml) {
    return assertThrows(ConfigException.class, () -> load(yaml, Map.of())).getMessage();
  }

  @Test
  void defaultsApplyWithoutAFile() {
    AgentConfig c = new ConfigLoader(Map.of("ODOO_AGENT_HOST_ID", "h1")).load(null).config();
    assertEquals("h1", c.hostId());
    assertEquals("odoo-ce", c.service().container());
    assertEquals(Duration.ofSeconds(2), c.deploy().healthInterval());
    assertEquals(AgentConfig.UpgradeMode.CHANGED, c.deploy().upgrade());
    assertEquals(AgentConfig.Strategy.AUTO, c.deploy().strategy());
    assertEquals(1024 * 1024, c.webhooks().maxBody());
    assertEquals(c.service().image(), c.webhooks().githubImage());
    assertNull(c.http().adminToken(), "an absent default secret file turns the feature off");
  }

  @Test
  void envOverridesYamlAndListsSplitOnCommas() throws IOException {
    AgentConfig c = load("deploy:\n  health_interval: 5s\n", Map.of("ODOO_AGENT_DEPLOY_HEALTH_INTERVAL", "750ms",
        "ODOO_AGENT_DEPLOY_UPGRADE", "list", "ODOO_AGENT_DEPLOY_UPGRADE_MODULES", "sale, ipai_core")).config();
    assertEquals(Duration.ofMillis(750), c.deploy().healthInterval());
    assertEquals(java.util.List.of("sale", "ipai_core"), c.deploy().upgradeModules());
    assertEquals(AgentConfig.Strategy.START_FIRST,
        load("deploy:\n  strategy: start-first\n", Map.of()).config().deploy().strategy());
    assertEquals(AgentConfig.Strategy.RECREATE,
        load("", Map.of("ODOO_AGENT_DEPLOY_STRATEGY", "recreate")).config().deploy().strategy());
  }

  @Test
  void secretsAreReadFromFilesAndNeverPrinted() throws IOException {
    Path token = dir.resolve("token");
    Files.writeString(token, "s3cret-value\n");
    ConfigLoader.Loaded l = load("http:\n  admin_token_file: " + token + "\n", Map.of());
    assertEquals("s3cret-value", l.config().http().adminToken().reveal());
    assertEquals("****", l.config().http().adminToken().toString());
    assertFalse(l.describe().contains("s3cret-value"));
    assertFalse(l.config().toString().contains("s3cret-value"));
    assertTrue(l.describe().contains("secret loaded"));
  }

  @Test
  void aSharedDatabaseNeedsAPasswordFileAndACoordinationDatabaseApartFromTheServicesOne() throws IOException {
    assertNull(load("", Map.of()).config().service().server(), "not shared: no connection of the agent's own");
    assertTrue(error("service:\n  shared_database: true\n").startsWith("config key service.database_password_file"),
        error("service:\n  shared_database: true\n"));
    Path pw = dir.resolve("pg-password");
    Files.writeString(pw, "pg-s3cret\n");
    String shared = "service:\n  shared_database: true\n  database_password_file: " + pw + "\n";
    ConfigLoader.Loaded l = load(shared, Map.of());
    AgentConfig.DatabaseServer s = l.config().service().server();
    assertEquals("pg-s3cret", s.password().reveal());
    assertNull(s.host(), "taken from the container's odoo.conf");
    assertEquals("odoo_agent", s.coordination());
    assertFalse(l.describe().contains("pg-s3cret"), l.describe());
    assertTrue(error(shared + "  coordination_database: odoo\n").contains("must not be service.database"));
    assertTrue(error(shared + "  database_port: 99999\n").startsWith("config key service.database_port"));
  }

  @Test
  void badSettingsNameTheKeyAndTheFix() {
    assertTrue(error("deploy:\n  helth_url: x\n").startsWith("unknown config key deploy.helth_url"));
    assertTrue(error("nonsense: 1\n").contains("unknown config key nonsense"));
    assertTrue(error("deploy:\n  health_interval: 2 seconds\n").contains("deploy.health_interval = \"2 seconds\""));
    assertTrue(error("deploy:\n  upgrade: some\n").contains("must be one of changed | all | list | none"));
    assertTrue(error("deploy:\n  upgrade: list\n").contains("deploy.upgrade_modules"));
    assertTrue(error("deploy:\n  strategy: blue-green\n").contains("deploy.strategy = \"blue-green\"")
        && error("deploy:\n  strategy: blue-green\n").contains("must be one of auto | recreate | start-first"),
        error("deploy:\n  strategy: blue-green\n"));
    assertTrue(error("deploy:\n  keep_images: 1\n").contains("from 2 to 100"));
    assertTrue(error("registry:\n  username: bob\n  password_file: /nonexistent/x\n").contains("registry.password_file"));
    assertTrue(error("mqtt:\n  url: http://x\n").contains("scheme mqtt or mqtts"));
    assertTrue(error("mqtt:\n  topic_prefix: odoo/#\n").contains("mqtt.topic_prefix"));
    assertTrue(error("http:\n  listen: 9780\n").contains("host:port"));
    assertTrue(error("host_id: 'a b'\n").contains("host_id"));
    assertTrue(error("service:\n  tag_pattern: '('\n").contains("service.tag_pattern"));
    assertTrue(error("docker:\n  host: /var/run/docker.sock\n").contains("docker.host"));
  }

  @Test
  void approvalModeAndTheMaintenanceWindowAreReadAndAMalformedWindowIsRefusedByName() throws IOException {
    AgentConfig.Deploy d = load("deploy:\n  auto: false\n  window: 'Mon-Fri 01:00-05:00 Asia/Manila'\n", Map.of()).config().deploy();
    assertFalse(d.auto());
    assertEquals("Mon-Fri 01:00-05:00 Asia/Manila", d.window().toString());
    AgentConfig.Deploy defaults = new ConfigLoader(Map.of("ODOO_AGENT_HOST_ID", "h1")).load(null).config().deploy();
    assertTrue(defaults.auto());
    assertTrue(defaults.window().always());
    assertEquals("config key deploy.window = \"Mon-Fry 01:00-05:00 UTC\" (from " + dir.resolve("agent.yaml")
        + "): 'Mon-Fry' is not a day range (use Mon-Fri, a day such as Sat, or a list such as Sat,Sun; days are "
        + "Mon Tue Wed Thu Fri Sat Sun)", error("deploy:\n  window: Mon-Fry 01:00-05:00 UTC\n"));
    assertTrue(assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of("ODOO_AGENT_DEPLOY_WINDOW", "Sat 22:00-02:00"))
        .load(null)).getMessage().startsWith("config key deploy.window = \"Sat 22:00-02:00\" (from env ODOO_AGENT_DEPLOY_WINDOW): "));
    assertTrue(error("deploy:\n  auto: maybe\n").contains("deploy.auto = \"maybe\""));
    assertTrue(error("deploy:\n  auto: maybe\n").endsWith("must be true or false"));
  }

  @Test
  void aKeyGivenTwiceIsRefusedRatherThanSilentlyReplaced() {
    assertTrue(error("deploy:\n  health_interval: 1s\nhttp:\n  listen: 127.0.0.1:1\ndeploy:\n  upgrade: all\n")
        .contains("not valid YAML"));
  }

  @Test
  void theNotifyUrlIsASecretValidatedWithoutBeingEchoed() throws IOException {
    Path url = dir.resolve("notify-url");
    Files.writeString(url, "https://hooks.example.test/services/T000/B000/s3cretpart\n");
    ConfigLoader.Loaded l = load("notify:\n  webhook_url_file: " + url + "\n  on: [rolled_back, failed]\n", Map.of());
    assertEquals("https://hooks.example.test/services/T000/B000/s3cretpart", l.config().notifications().webhookUrl().reveal());
    assertEquals(java.util.List.of("rolled_back", "failed"), l.config().notifications().on());
    assertFalse(l.describe().contains("s3cretpart"), l.describe());
    assertTrue(l.describe().contains("webhook_url_file: '" + url + "'  # secret loaded (****)"), l.describe());
    assertNull(new ConfigLoader(Map.of("ODOO_AGENT_HOST_ID", "h1")).load(null).config().notifications().webhookUrl(), "off by default");

    Files.writeString(url, "hooks.example.test/s3cretpart\n");
    String e = error("notify:\n  webhook_url_file: " + url + "\n");
    assertTrue(e.contains("notify.webhook_url_file") && e.contains("http:// or https:// URL"), e);
    assertFalse(e.contains("s3cretpart"), e);
    assertTrue(error("notify:\n  on: [success, rollback]\n").contains("notify.on = \"rollback\""));
  }

  @Test
  void anEmptyUsernameWithNoTokenOrAnEmptyOneIsAnonymous() throws IOException {
    assertNull(load("registry:\n  username: ''\n  password_file: /nonexistent/registry-token\n", Map.of()).config().registry().password());
    Path empty = dir.resolve("registry-token");
    Files.writeString(empty, "\n");
    ConfigLoader.Loaded l = load("registry:\n  username: ''\n  password_file: " + empty + "\n", Map.of());
    assertNull(l.config().registry().password());
    assertTrue(l.describe().contains("anonymous pulls"), l.describe());
    assertNull(new ConfigLoader(Map.of("ODOO_AGENT_HOST_ID", "h1")).load(null).config().registry().password(),
        "the defaults pull anonymously");
  }

  @Test
  void aUsernameWithoutTokenOrATokenWithoutUsernameNamesBothKeys() throws IOException {
    String e = error("registry:\n  username: bob\n  password_file: /nonexistent/registry-token\n");
    assertTrue(e.contains("registry.username = \"bob\"") && e.contains("registry.password_file") && e.contains("anonymous"), e);
    Path token = dir.resolve("registry-token");
    Files.writeString(token, "t0ken\n");
    e = error("registry:\n  username: ''\n  password_file: " + token + "\n");
    assertTrue(e.contains("registry.password_file") && e.contains("registry.username is empty"), e);
    assertFalse(e.contains("t0ken"));
    assertEquals("t0ken", load("registry:\n  username: bob\n  password_file: " + token + "\n", Map.of())
        .config().registry().password().reveal());
  }

  @Test
  void aSystemdCredentialPathFallsBackToTheUnitsDirectoryThenTheOneNextToTheConfig() throws IOException {
    Path installed = Files.createDirectories(dir.resolve("credentials"));
    Path unit = Files.createDirectories(dir.resolve("run-credentials"));
    Files.writeString(installed.resolve("admin-token"), "from-etc\n");
    Path yaml = dir.resolve("agent.yaml");
    Files.writeString(yaml, "http:\n  admin_token_file: /run/credentials/odoo-agent.service/admin-token\n");

    ConfigLoader.Loaded rootShell = new ConfigLoader(Map.of()).load(yaml);
    assertEquals("from-etc", rootShell.config().http().adminToken().reveal());
    assertTrue(rootShell.describe().contains("secret loaded from " + installed.resolve("admin-token")), rootShell.describe());
    Files.writeString(yaml, "host_id: h1\n");
    assertEquals("from-etc", new ConfigLoader(Map.of()).load(yaml).config().http().adminToken().reveal(),
        "the default path /run/credentials/odoo-agent/admin-token falls back too");

    Files.writeString(unit.resolve("admin-token"), "from-unit\n");
    assertEquals("from-unit", new ConfigLoader(Map.of("CREDENTIALS_DIRECTORY", unit.toString())).load(yaml)
        .config().http().adminToken().reveal(), "inside the unit its own credentials directory wins");

    Files.writeString(yaml, "http:\n  admin_token_file: " + dir.resolve("elsewhere/admin-token") + "\n");
    String e = assertThrows(ConfigException.class, () -> new ConfigLoader(Map.of()).load(yaml)).getMessage();
    assertTrue(e.contains("http.admin_token_file"), "only /run/credentials/ paths fall back: " + e);
  }

  @Test
  void fleetKeysAreReadAndBadOnesNameTheKeyAndTheFix() throws IOException {
    AgentConfig.Fleet f = load("fleet:\n  group: shop-eu\n  wave: 2\n  soak: 30s\n  wave_timeout: 20m\n", Map.of()).config().fleet();
    assertEquals(new AgentConfig.Fleet("shop-eu", 2, java.time.Duration.ofSeconds(30), java.time.Duration.ofMinutes(20)), f);
    AgentConfig.Fleet alone = new ConfigLoader(Map.of("ODOO_AGENT_HOST_ID", "h1")).load(null).config().fleet();
    assertEquals(false, alone.enabled(), "no group by default");
    assertEquals(java.time.Duration.ofMinutes(5), alone.soak());
    assertEquals(java.time.Duration.ofHours(1), alone.waveTimeout());
    assertTrue(error("fleet:\n  wave: -1\n").contains("config key fleet.wave = \"-1\""));
    assertTrue(error("fleet:\n  soak: soon\n").contains("fleet.soak = \"soon\""));
    assertTrue(error("fleet:\n  wave_timeout: 0\n").contains("fleet.wave_timeout"));
    assertTrue(error("fleet:\n  group: g\n  soak: 2h\n").contains("must be longer than fleet.soak"));
    assertTrue(error("fleet:\n  group: 'a/b'\n").contains("fleet.group"));
    String off = error("mqtt:\n  url: ''\nfleet:\n  group: shop\n");
    assertTrue(off.contains("fleet.group") && off.contains("mqtt.url"), off);
  }
}
