/**
 * Durable flows: arrows composed in the CNCF Serverless Workflow DSL 1.0 (a stated subset) or
 * imported from Amazon States Language, run by an executor that stores every step before the next
 * one starts, so a node killed at any moment resumes its runs where they stopped.
 */
package dev.arrow.flows;
