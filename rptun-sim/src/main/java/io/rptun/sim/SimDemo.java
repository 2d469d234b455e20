package io.rptun.sim;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The two-JVM demo: a host in this JVM lays out {@code /dev/shm/rptun-demo-PID}, boots a remote JVM
 * ({@link RemoteMain} with echo and sink), pings the echo service, streams to it, and stops everything,
 * printing what happened. The file and the child are cleaned up on success, failure and Ctrl-C.
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ... io.rptun.sim.SimDemo [messages]</pre>
 */
public final class SimDemo {
    private SimDemo() {
    }

    public static void main(String[] args) {
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int code = run(messages, System.out);
        System.exit(code);
    }

    /** Runs the demo with {@code messages} streamed messages; returns 0 on success. */
    public static int run(int messages, PrintStream out) {
        Path file = SimFile.shmPath("rptun-demo-" + ProcessHandle.current().pid());
        ChildJvmLauncher launcher = ChildJvmLauncher.of(List.of("--echo", "--sink"), ProcessBuilder.Redirect.INHERIT);
        SimOptions options = SimOptions.defaults("unused").withPath(file);
        Rptun host = Rptun.create(SimDriver.host(options, launcher), RptunOptions.defaults()
                .withReadyTimeout(Duration.ofSeconds(30)));
        Thread onCtrlC = new Thread(host::close, "rptun-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            out.println("host: laying out " + file + " and booting a remote JVM ...");
            long t0 = System.nanoTime();
            RpmsgDevice device = host.start();
            out.printf("host: %s is up after %d ms; features 0x%x, %d-byte payloads at most%n", host.remoteCpuName(),
                    (System.nanoTime() - t0) / 1_000_000, device.features(), device.maxPayload());
            BlockingQueue<byte[]> replies = new ArrayBlockingQueue<>(1024);
            RpmsgEndpoint echo = device.createEndpoint(SimRemote.ECHO, (ep, msg) -> replies.add(msg.toByteArray()));
            if (!echo.awaitBound(Duration.ofSeconds(10))) {
                out.println("host: the remote never announced " + SimRemote.ECHO);
                return 1;
            }
            out.println("host: bound to " + SimRemote.ECHO + " at remote address 0x" + Integer.toHexString(echo.destination()));

            int pings = 2000;
            long[] rtt = new long[pings];
            byte[] payload = new byte[64];
            for (int i = 0; i < pings; i++) {
                long s = System.nanoTime();
                echo.send(payload);
                if (replies.poll(10, TimeUnit.SECONDS) == null) {
                    out.println("host: no echo for ping " + i);
                    return 1;
                }
                rtt[i] = System.nanoTime() - s;
            }
            Arrays.sort(rtt);
            out.printf("host: %d pings of 64 bytes: round trip p50 %.1f us, p99 %.1f us, max %.1f us%n", pings,
                    rtt[pings / 2] / 1e3, rtt[pings * 99 / 100] / 1e3, rtt[pings - 1] / 1e3);

            long s = System.nanoTime();
            Thread drain = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < messages; i++) {
                    try {
                        if (replies.poll(10, TimeUnit.SECONDS) == null) {
                            return;
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            for (int i = 0; i < messages; i++) {
                echo.send(payload);
            }
            drain.join(Duration.ofSeconds(60));
            double secs = (System.nanoTime() - s) / 1e9;
            out.printf("host: streamed %d messages through the echo and back in %.2f s: %.0f msg/s each way%n", messages,
                    secs, messages / secs);
            out.println("host: " + device.stats());
            host.stop();
            Process child = launcher.process();
            out.println("host: stopped; remote exit code " + (child == null ? "-" : child.waitFor()));
            return 0;
        } catch (RuntimeException e) {
            out.println("host: failed: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            host.close();
            out.println("host: closed; " + file + (Files.exists(file) ? " still exists!" : " removed"));
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running
            }
        }
    }
}
