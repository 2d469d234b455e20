package io.rptun.kotlin

import io.rptun.core.lifecycle.Rptun
import io.rptun.core.lifecycle.RptunOptions
import io.rptun.reactive.RptunReactive
import io.rptun.sim.SimDriver
import io.rptun.sim.SimFile
import io.rptun.sim.SimOptions
import io.rptun.sim.SimRemote
import java.nio.file.Files
import java.util.UUID
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.withContext
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout

/** The channel to a service across sessions of a real link (a simulated remote in this JVM), as a Flow. */
@Timeout(120)
class RptunSessionsFlowTest {
    private val path = SimFile.shmPath("rptun-kotlin-" + UUID.randomUUID())

    @AfterEach
    fun fileIsGone() {
        Files.deleteIfExists(path)
    }

    @Test
    fun `each session's channel comes out of the flow and echoes, across a lost peer and a reset`() = runTest {
        val options = SimOptions.defaults("unused").withPath(path)
        val host = Rptun.create(SimDriver.host(options, null), RptunOptions.defaults())
        SimRemote.start(options, true, false, listOf()).use {
            try {
                host.start()
                val link = RptunReactive.follow(host)
                val replies = mutableListOf<String>()
                link.channelsAsFlow(SimRemote.ECHO).take(2).collect { channel ->
                    val reply = async(start = CoroutineStart.UNDISPATCHED) {
                        channel.receiveAsFlow { it.asString() }.first()
                    }
                    channel.send("hello ${replies.size}")
                    replies += reply.await()
                    if (replies.size == 1) {
                        withContext(Dispatchers.IO) {
                            host.peerLost("the test says so") // this session ends ...
                            host.reset(0) // ... and the next begins (the remote here is alive)
                        }
                    }
                }
                assertThat(replies).containsExactly("hello 0", "hello 1")
                link.dispose()
            } finally {
                host.close()
            }
        }
    }
}
