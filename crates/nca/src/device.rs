//! Backend selection. Burn picks the backend at run time from the [`Device`]; this module maps
//! the names users type (`--backend flex`) to devices compiled into this build.

use burn::tensor::Device;

use crate::error::{NcaError, Result};

/// The backends compiled into this build, by the names `--backend` accepts.
pub fn available_backends() -> Vec<&'static str> {
    let mut v = Vec::new();
    if cfg!(feature = "flex") {
        v.push("flex");
    }
    if cfg!(feature = "ndarray") {
        v.push("ndarray");
    }
    if cfg!(feature = "cuda") {
        v.push("cuda");
    }
    if cfg!(feature = "wgpu") {
        v.push("wgpu");
    }
    v
}

/// The device for a backend name; `None` picks the first compiled-in backend (flex by default).
pub fn device_for(name: Option<&str>) -> Result<Device> {
    let avail = available_backends();
    let name = match name {
        Some(n) => n,
        None => avail
            .first()
            .copied()
            .ok_or_else(|| NcaError::config("backend", "no backend compiled in"))?,
    };
    let unknown = || {
        NcaError::config(
            "backend",
            format!(
                "'{name}' is not compiled into this build (available: {})",
                avail.join(", ")
            ),
        )
    };
    match name {
        #[cfg(feature = "flex")]
        "flex" => Ok(Device::flex()),
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        "ndarray" => Ok(Device::ndarray()),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        _ => Err(unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_backend_is_flex_and_unknown_is_rejected() {
        assert_eq!(available_backends()[0], "flex");
        assert!(device_for(None).is_ok());
        let e = device_for(Some("quantum")).unwrap_err().to_string();
        assert!(e.contains("quantum") && e.contains("flex"), "{e}");
    }
}
