"""The fleet: many repositories, each judged by the one use case (`secscan.app.run.Run`).

A stage above app/ and below cli/: a manifest (`manifest`), a hostile repository's checkout
(`checkout`), one repository's job (`job`), the embedded process pool (`local`), the
PostgreSQL job queue on Procrastinate (`queue`) and the Kubernetes manifests (`k8s`).
"""
