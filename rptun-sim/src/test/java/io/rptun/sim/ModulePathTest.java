package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator as a named module: a remote runs on the module path ({@code -m io.rptun.sim/...}) with
 * {@code --enable-native-access=io.rptun.sim} and nothing else, and echoes for a host on the class path.
 */
@Timeout(120)
class ModulePathTest {
    @TempDir
    Path dir;

    /** The class path entries a module path needs: rptun's modules and their libraries, not test classes. */
    private static String modulePath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.contains("rptun-core") || e.endsWith("rptun-sim/target/classes")
                        || e.contains("jctools") || e.contains("slf4j-api") || e.contains("jspecify"))
                .collect(Collectors.joining(File.pathSeparator));
    }

    @Test
    void aRemoteOnTheModulePathNeedsOnlyItsModuleNameForNativeAccess() throws Exception {
        Path file = dir.resolve("link");
        Rptun host = Rptun.create(SimDriver.host(SimOptions.defaults("x").withPath(file), null),
                RptunOptions.defaults().withReadyTimeout(Duration.ofSeconds(60)));
        Path log = dir.resolve("remote.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath(), "--enable-native-access=io.rptun.sim",
                "-m", "io.rptun.sim/io.rptun.sim.RemoteMain", "--file", file.toString(), "--echo"));
        Process remote = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            RpmsgDevice device = CompletableFuture.supplyAsync(host::start).get(60, TimeUnit.SECONDS);
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgEndpoint echo = device.createEndpoint(SimRemote.ECHO, (ep, msg) -> got.add(msg.asString()));
            assertThat(echo.awaitBound(Duration.ofSeconds(30))).isTrue();
            for (int i = 0; i < 100; i++) {
                echo.send(("m" + i).getBytes(StandardCharsets.UTF_8));
                assertThat(got.poll(20, TimeUnit.SECONDS)).isEqualTo("m" + i);
            }
            host.stop();
            assertThat(remote.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String output = Files.readString(log);
            assertThat(remote.exitValue()).as(output).isZero();
            assertThat(output).as("no warning about restricted (native) methods").doesNotContain("restricted method");
        } finally {
            host.close();
            remote.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
