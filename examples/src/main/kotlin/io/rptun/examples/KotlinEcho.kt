@file:JvmName("KotlinEcho")

package io.rptun.examples

import io.rptun.core.loopback.RpmsgLoopback
import io.rptun.kotlin.awaitClose
import io.rptun.kotlin.awaitOpen
import io.rptun.kotlin.receiveAsFlow
import io.rptun.kotlin.send
import io.rptun.reactive.RpmsgReactive
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking

/*
 * The reactive rpmsg API from Kotlin coroutines, through rptun-kotlin: a host opens a channel to an echo
 * service on the remote (an in-process RpmsgLoopback) with a suspending awaitOpen, sends with a suspending
 * send, and reads the replies as a Flow whose collector paces the channel.
 */

/** What one run did: what was sent, what came back, and the RX buffers still held once the channel closed. */
data class EchoResult(val sent: List<String>, val received: List<String>, val heldAfterClose: Int)

/** Echoes [messages] through a loopback and returns what happened. */
fun runEcho(messages: List<String>): EchoResult = runBlocking {
    RpmsgLoopback.start(RpmsgLoopback.table(32, 256)).use { loop ->
        // The remote side: a plain core endpoint that answers each message with its payload.
        loop.remote().createEndpoint("echo") { ep, msg -> ep.send(msg.toByteArray()) }

        val rpmsg = RpmsgReactive.create(loop.host())
        try {
            val channel = rpmsg.awaitOpen("echo")
            // A message is valid inside onNext only: receiveAsFlow's block turns it into a String there.
            // Collected before the first send, so no reply waits for a receiver.
            val replies = async(start = CoroutineStart.UNDISPATCHED) {
                channel.receiveAsFlow { it.asString() }.take(messages.size).toList()
            }
            for (m in messages) {
                channel.send(m.encodeToByteArray())
            }
            val received = replies.await()
            channel.awaitClose()
            EchoResult(messages, received, loop.host().heldRxBuffers())
        } finally {
            rpmsg.dispose()
        }
    }
}

fun main() {
    val result = runEcho(listOf("hello", "from", "kotlin"))
    for ((sent, received) in result.sent.zip(result.received)) {
        println("sent '$sent', echoed '$received'")
    }
    println("RX buffers still held after close: ${result.heldAfterClose}")
}
