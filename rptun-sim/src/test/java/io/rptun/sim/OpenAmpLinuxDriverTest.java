package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both Java sides of OpenAMP's Linux demo against each other, with the demo's exact file and socket
 * protocol (paths made unique so tests do not collide with a real demo): the remote in a second JVM
 * ({@code RemoteMain --openamp-linux}), and in this one.
 */
@Timeout(120)
class OpenAmpLinuxDriverTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final Path shm = SimFile.shmPath("rptun-oa-" + id + ".shm");
    private final Path socket = Path.of("/tmp", "rptun-oa-" + id + ".event.0");
    private Process child;

    @AfterEach
    void cleanUp() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(shm);
        Files.deleteIfExists(socket);
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** The host's half of the demo: bind the channel, exchange {@code n} messages, send the shutdown magic. */
    private static void pingAsHost(Path shm, Path socket, int n) throws Exception {
        OpenAmpLinuxDriver driver = OpenAmpLinuxDriver.host(shm, socket, WAIT);
        try (Rptun host = Rptun.create(driver, RptunOptions.defaults().withReadyCommand(false))) {
            RpmsgDevice device = host.start();
            assertThat(device.features()).as("OpenAMP's remote offers only NS").isEqualTo(1);
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint ep = device.createEndpoint(OpenAmpLinuxProfile.ENDPOINT_NAME,
                    (e, msg) -> got.add(msg.asString()));
            assertThat(ep.awaitBound(WAIT)).isTrue();
            for (int i = 0; i < n; i++) {
                ep.send(("hello world! " + i).getBytes(StandardCharsets.US_ASCII));
                assertThat(got.poll(30, TimeUnit.SECONDS)).isEqualTo("hello world! " + i);
            }
            ep.send(u32(OpenAmpLinuxProfile.SHUTDOWN_MAGIC));
            assertThat(host.state()).isEqualTo(RptunState.RUNNING);
        }
    }

    @Test
    void aJavaHostPingsAJavaEchoRemoteInAnotherJvmOverTheDemosFileAndSocket() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                RemoteMain.class.getName(), "--openamp-linux", "--shm", shm.toString(), "--socket", socket.toString()));
        child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).startsWith("RPTUN-REMOTE listening on " + socket);
        CompletableFuture<List<String>> rest = CompletableFuture.supplyAsync(() -> out.lines().toList());
        pingAsHost(shm, socket, 200);
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the remote stops on the shutdown magic").isTrue();
        assertThat(child.exitValue()).isZero();
        assertThat(rest.get(10, TimeUnit.SECONDS)).anyMatch(l -> l.startsWith("RPTUN-REMOTE RUNNING openamp echo"))
                .anyMatch(l -> l.startsWith("RPTUN-REMOTE done"));
        assertThat(shm).as("the remote created it and deleted it").doesNotExist();
        assertThat(socket).doesNotExist();
    }

    @Test
    void theRemoteCreatesTheFileWithTheDemosTableAndTheHostSeesThePeerGoWhenTheSocketCloses() throws Exception {
        OpenAmpLinuxDriver remoteDriver = OpenAmpLinuxDriver.remote(shm, socket, WAIT, true);
        assertThat(Files.size(shm)).isEqualTo(OpenAmpLinuxProfile.SHM_SIZE);
        byte[] table = new byte[88];
        remoteDriver.file().segment().asByteBuffer().get(0, table);
        assertThat(table).isEqualTo(OpenAmpLinuxProfile.resourceTable());
        Rptun remote = Rptun.create(remoteDriver, RptunOptions.defaults().withReadyCommand(false));
        CompletableFuture<RpmsgDevice> started = CompletableFuture.supplyAsync(remote::start);
        OpenAmpLinuxDriver hostDriver = OpenAmpLinuxDriver.host(shm, socket, WAIT);
        try (Rptun host = Rptun.create(hostDriver, RptunOptions.defaults().withReadyCommand(false))) {
            host.start();
            RpmsgDevice device = started.get(30, TimeUnit.SECONDS);
            device.createEndpoint(OpenAmpLinuxProfile.ENDPOINT_NAME, SimRemote.echoListener());
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint ep = host.device().createEndpoint(OpenAmpLinuxProfile.ENDPOINT_NAME,
                    (e, msg) -> got.add(msg.asString()));
            assertThat(ep.awaitBound(WAIT)).isTrue();
            ep.send("x".getBytes(StandardCharsets.US_ASCII));
            assertThat(got.poll(30, TimeUnit.SECONDS)).isEqualTo("x");
            remote.close();
            assertThat(host.awaitState(RptunState.PEER_LOST, WAIT)).as("socket closed = peer lost").isTrue();
            assertThat(host.failure().getMessage()).contains(socket.toString());
        } finally {
            remote.close();
        }
    }
}
