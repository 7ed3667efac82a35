import Shipper
