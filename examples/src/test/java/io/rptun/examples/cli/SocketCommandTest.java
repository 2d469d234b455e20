package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.sim.SimFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code rptun socket listen} and {@code rptun socket connect} piping stdin to each other, in one JVM. */
@Timeout(180)
class SocketCommandTest {
    private final Path file = SimFile.shmPath("rptun-socket-test-" + UUID.randomUUID());

    @AfterEach
    void cleanUp() throws Exception {
        Files.deleteIfExists(file);
    }

    private record Side(int code, byte[] stdout, String err) {
    }

    private static CompletableFuture<Side> run(byte[] stdin, String... args) {
        CompletableFuture<Side> f = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            SocketCommand.STDIN.set(new ByteArrayInputStream(stdin));
            SocketCommand.STDOUT.set(out);
            StringWriter err = new StringWriter();
            try {
                int code = RptunCli.execute(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
                f.complete(new Side(code, out.toByteArray(), err.toString()));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Test
    void aListenerAndAClientExchangeTheirStdinsAndBothEnd() throws Exception {
        byte[] fromListener = "hello from the host\n".repeat(2000).getBytes(StandardCharsets.US_ASCII);
        byte[] fromClient = "and back from the remote\n".repeat(3000).getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<Side> listener = run(fromListener, "socket", "listen", "cli-test", "--host", file.toString(),
                "--wait-ms", "60000");
        CompletableFuture<Side> client = run(fromClient, "socket", "connect", "any", "cli-test", "--remote",
                file.toString(), "--wait-ms", "60000");
        Side c = client.get();
        Side l = listener.get();
        assertThat(l.err()).contains("accepted s:cli-test:");
        assertThat(c.err()).contains("connected to 'cli-test'");
        assertThat(c.code()).isZero();
        assertThat(l.code()).isZero();
        assertThat(l.stdout()).isEqualTo(fromClient);
        assertThat(c.stdout()).isEqualTo(fromListener);
    }

    @Test
    void theSocketCommandHasHelp() {
        StringWriter out = new StringWriter();
        assertThat(RptunCli.execute(new String[] {"socket", "connect", "--help"}, new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true))).isZero();
        assertThat(out.toString()).contains("Usage: rptun socket connect").contains("--nuttx-sim");
    }
}
