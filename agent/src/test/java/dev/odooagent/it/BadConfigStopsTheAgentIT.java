package dev.odooagent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad setting stops {@code odoo-agent run} at once with one line naming it and no stack trace: exit 78 (EX_CONFIG, not restarted by systemd) for the config itself, 1 for what it points at. */
class BadConfigStopsTheAgentIT {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "unknown key        | deploy:\\n  helth_url: x                          | deploy.helth_url     | 78",
      "bad duration       | deploy:\\n  health_interval: 2 seconds           | deploy.health_interval | 78",
      "missing secret     | registry:\\n  username: bob\\n  password_file: /nonexistent/token | registry.password_file | 78",
      "unreachable docker | docker:\\n  host: unix:///nonexistent/docker.sock | docker.host          | 1",
      "missing container  | service:\\n  container: it-no-such-container      | it-no-such-container | 1"})
  void badConfigExitsWithTheConfigErrorCodeAndOneLineNamingTheKey(String name, String yaml, String named, int code) throws IOException {
    Path cfg = Files.createTempFile("bad", ".yaml");
    Files.writeString(cfg, "http:\n  listen: 127.0.0.1:0\nwebhooks:\n  listen: 127.0.0.1:0\nmqtt:\n  url: ''\n"
        + "state_dir: " + cfg.getParent().resolve("state-" + cfg.getFileName()) + "\n" + yaml.replace("\\n", "\n") + "\n");
    TestBed.Result r = TestBed.exec(List.of(Path.of(System.getProperty("project.root", "..")).resolve("agent/bin/odoo-agent").toString(),
        "run", "--config", cfg.toString()), Map.of(), Duration.ofSeconds(60));
    assertEquals(code, r.code(), name + " (78 for the config itself, 1 for what it points at): " + r.out() + r.err());
    String err = withoutBlockedThreadWarnings(r.err());
    List<String> lines = err.lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), name + " should print one line: " + r.err());
    assertTrue(lines.get(0).startsWith("odoo-agent: ") && lines.get(0).contains(named), lines.get(0));
    assertFalse(err.contains("\tat "), "no stack trace");
  }

  /**
   * stderr without Vert.x's warnings that a thread was blocked (with the stack trace it adds after 5 s): on a machine
   * busy with other ITs the agent's start can take over 2 s of an event loop, and those warnings say so, not the error.
   */
  static String withoutBlockedThreadWarnings(String err) {
    StringBuilder kept = new StringBuilder();
    boolean inWarning = false;
    for (String line : err.lines().toList()) {
      if (line.contains("[WARN] BlockedThreadChecker - ")) {
        inWarning = true;
      } else if (!(inWarning && (line.startsWith("\t") || line.startsWith("io.vertx.core.VertxException: Thread blocked")))) {
        inWarning = false;
        kept.append(line).append('\n');
      }
    }
    return kept.toString();
  }
}
