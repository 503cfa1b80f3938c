/** The services arrows use beside their functions: key-value stores, queues, objects (see the module's README). */
package dev.arrow.services;
