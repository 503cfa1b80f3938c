package dev.arrow.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/** A command that talks to a node: the options of {@link NodeOptions} and the requests they make. */
abstract class NodeCommand implements Callable<Integer> {

    @Mixin
    NodeOptions node;
}
