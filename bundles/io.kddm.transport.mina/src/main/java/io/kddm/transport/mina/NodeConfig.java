package io.kddm.transport.mina;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The configuration of a node ({@code io.kddm.node}), usually a
 * {@code io.kddm.node.cfg} file the launcher writes in the node's drop-in folder.
 */
@ObjectClassDefinition(name = "kDDM node", description = "Identity and addresses of this node")
public @interface NodeConfig {
    String PID = "io.kddm.node";

    @AttributeDefinition(description = "This node's id, 1..255")
    int id();

    @AttributeDefinition(description = "host:port to listen on (that address only)")
    String listen() default "127.0.0.1:7001";

    @AttributeDefinition(description = "host:port of the other nodes, comma separated")
    String[] peers() default {};

    @AttributeDefinition(description = "File holding the cluster secret")
    String secret_file();

    @AttributeDefinition(description = "Largest frame accepted or sent, bytes")
    int max_frame() default TransportSettings.DEFAULT_MAX_FRAME;

    @AttributeDefinition(description = "Time a new connection has to authenticate, ms")
    long handshake_timeout_ms() default 5000;
}
