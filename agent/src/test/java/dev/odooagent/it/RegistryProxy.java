package dev.odooagent.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on 127.0.0.1 in front of the test bed's registry, so a test can hold a pull at the registry (a registry
 * that stops answering) or drop it (a registry that dies) at a moment it observes. dockerd treats 127.0.0.0/8 registries
 * as plain HTTP, so an agent whose service.image names this port pulls through it for real.
 */
final class RegistryProxy implements AutoCloseable {
  final int port;
  private final int upstream;
  private volatile boolean stalling;
  private volatile ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  /** Connections accepted and held without an answer while stalling. */
  final AtomicInteger held = new AtomicInteger();

  /** A relay on {@code port} to the registry's port, started in the given mode. */
  RegistryProxy(int port, int upstream, boolean stalling) throws IOException {
    this.port = port;
    this.upstream = upstream;
    this.stalling = stalling;
    open();
  }

  /** The repository as pulled through this relay. */
  String image() {
    return TestBed.image().replaceFirst("^[^/]+", "127.0.0.1:" + port);
  }

  /** From now on new connections are held unanswered; connections already relayed go on. */
  void stall() {
    stalling = true;
  }

  /** From now on new connections are relayed. */
  void relay() {
    stalling = false;
  }

  /** The registry dies: every connection is cut and the port refuses new ones. */
  void die() {
    closeAll();
  }

  /** The registry is back on the same port, relaying. */
  void revive() throws IOException {
    stalling = false;
    open();
  }

  private void open() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    server = s;
    Thread t = new Thread(() -> accept(s), "registry-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket client = s.accept();
        sockets.add(client);
        if (stalling) {
          held.incrementAndGet();
          continue;
        }
        Socket up;
        try {
          up = new Socket(InetAddress.getLoopbackAddress(), upstream);
        } catch (IOException refused) {
          // the registry behind is down: cut the client as the registry's own port would
          quietly(client);
          continue;
        }
        sockets.add(up);
        pump(client, up);
        pump(up, client);
      } catch (IOException closed) {
        // die() closed the listener: the loop ends
      }
      sockets.removeIf(Socket::isClosed);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
        }
      } catch (IOException cut) {
        // one side went away: close both
      } finally {
        quietly(from);
        quietly(to);
      }
    }, "registry-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void closeAll() {
    ServerSocket s = server;
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    sockets.forEach(RegistryProxy::quietly);
    sockets.clear();
  }

  private static void quietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  @Override
  public void close() {
    closeAll();
  }
}
