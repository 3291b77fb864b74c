//! `rh-resources`: typed resources (clusters, blobs, folders) saved through the RNS (filled by issue 4).
