package io.rptun.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.examples.cli.RptunCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every example, run as {@code ./rptun example NAME} runs it; none leaves a file behind. */
@Timeout(180)
class ExamplesTest {
    private static String run(String name) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = RptunCli.execute(new String[] {"example", name}, new PrintWriter(out, true), new PrintWriter(err, true));
        System.out.print(out);
        assertThat(code).as(name + ": " + err).isZero();
        try (var shm = Files.list(Path.of("/dev/shm"))) {
            assertThat(shm.map(Path::toString)).noneMatch(p -> p.contains("rptun-example-" + name));
        }
        return out.toString();
    }

    @Test
    void coreEcho() throws Exception {
        assertThat(run("core-echo")).contains("sent 'hello', got 'HELLO'").contains("sent 'api', got 'API'");
    }

    @Test
    void reactiveEcho() throws Exception {
        assertThat(run("reactive-echo")).contains("sent 'stressed', got 'desserts'").contains("sent 'reward', got 'drawer'");
    }

    @Test
    void sensorIsHeldBackByASlowConsumerAndTheLiveFileDumps() throws Exception {
        String out = run("sensor");
        assertThat(out).contains("2000 readings in order (0 out of order)").contains("the rings held it back")
                .contains("| rptun dump of").contains("DRIVER_OK");
    }

    @Test
    void anUnknownExampleIsBadUsage() {
        StringWriter err = new StringWriter();
        int code = RptunCli.execute(new String[] {"example", "nope"}, new PrintWriter(new StringWriter()),
                new PrintWriter(err, true));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("no example 'nope'");
    }
}
