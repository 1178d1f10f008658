"""De-identification: DICOM headers and pixels, free-text reports, tables; keyed pseudonyms; audit."""
