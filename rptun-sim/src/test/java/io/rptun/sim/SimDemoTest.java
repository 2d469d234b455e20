package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SimDemoTest {
    @Test
    @Timeout(120)
    void theDemoRunsAHostAndARemoteJvmExchangesMessagesAndCleansUp() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = SimDemo.run(5000, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        assertThat(code).isZero();
        assertThat(out).contains("is up after").contains("round trip p50").contains("streamed 5000 messages")
                .contains("remote exit code 0").contains("removed");
    }
}
