"""The read-only FHIR R4 API of the record (DESIGN.md §5), under `/fhir`.

The record is what the push service stored: every version of every note (`notes`), the photos
they reference (`note_photos`, `blobs`), who filed them and from which device. Nothing here
writes to it; FHIR resources are built from those rows on each request.

- `state`: the API's two server secrets (Patient ids, page links) and the Patient id index;
- `access`: who may see what (team membership; integration accounts see all) and the audit
  of every read;
- `search`: search parameters, parsed and checked; `paging`: opaque page links;
- `resources`: FHIR resources from rows; `notes`, `patients`, `photos`, `questionnaires`: the
  queries of each resource type; `interactions`: read, vread, history and search over them;
- `bundles`, `capability`, `outcome`: Bundles, the CapabilityStatement, errors;
- `routes`: the HTTP routes; `patient_audit`: the audit trail of one patient.
"""
